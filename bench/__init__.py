"""Benchmarks: each prints its figures (see docs/api.md, docs/ingest.md, docs/operations.md)."""
