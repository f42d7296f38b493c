"""End-to-end tests: the four services as separate processes (tests/e2e/conftest.py)."""
