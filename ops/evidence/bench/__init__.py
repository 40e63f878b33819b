"""Benchmark harness: wrk against the API and a bare Django baseline (`just bench`)."""
