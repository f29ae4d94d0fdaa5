"""POST /v1/documents."""
