"""The router/ingress deployment and the services it hosts."""
