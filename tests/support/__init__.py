"""Helpers shared by the test suites: databases, API clients, live server processes."""
