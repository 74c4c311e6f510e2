"""Benchmarks: scripts that print figures (they are not timed tests)."""
