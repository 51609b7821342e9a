"""Benchmarks of the real bot: `python -m bench` (see docs/benchmarks.md)."""
