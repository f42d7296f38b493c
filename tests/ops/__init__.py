"""The ops tier: what operators run, checked with the real tools (tests/ops/conftest.py)."""
