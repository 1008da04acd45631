"""Helpers shared by tests of several modules, by the module they came from."""
