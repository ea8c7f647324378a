"""Benchmarks behind ``tools/benchmark_*.py``: imported by those tools only
(``import mmpose_patchsel`` does not load them)."""
