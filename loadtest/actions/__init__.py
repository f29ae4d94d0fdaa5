"""Benchmarks of the action deployments (browse, retrieve, execute)."""
