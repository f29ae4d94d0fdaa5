"""GET /v1/traces/{id}."""
