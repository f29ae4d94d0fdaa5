"""Operator tooling outside the runtime package: the ``ifz`` CLI, Kubernetes and dashboards."""
