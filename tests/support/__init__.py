"""Helpers the test tiers share: bounded waiting, API clients, raw event publishing."""
