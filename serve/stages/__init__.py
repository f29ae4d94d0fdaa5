"""Calling downstream deployments (perception, actions) from the router."""
