"""Benchmarks, load tests and evaluation. Development only: not part of the installed package."""
