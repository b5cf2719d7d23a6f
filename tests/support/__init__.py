"""Helpers the test suite shares: real services on loopback, started and stopped by tests."""
