"""Metrics and request traces."""
