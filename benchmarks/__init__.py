"""Benchmark suite: same workloads, several clients, one embedded server, ratios."""
