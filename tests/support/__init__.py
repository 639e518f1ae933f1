"""Helpers shared by the tests and the benchmarks (plain modules: importing them needs no pytest)."""
