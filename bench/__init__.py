"""Benchmarks for Linli (run by hand or with ``make bench``; never part of the timed test suite)."""
