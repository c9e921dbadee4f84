"""Benchmark scripts: our code against a baseline, same data, same run (see README.md)."""
