"""The HTTP API: protocol models, errors, middleware and one router per endpoint."""
