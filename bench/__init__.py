"""Benchmarks: each prints medians, the baseline measured in the same run, and the ratio."""
