"""GET /healthz and GET /metrics."""
