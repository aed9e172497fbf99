"""Benchmarks run by ``scripts/benchmark.py``; each module measures one claim of the README."""
