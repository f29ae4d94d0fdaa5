"""Kubernetes side of interfaze-serve: chart values, RayService rendering, deploy/status via the
Kubernetes API, Grafana dashboards and their push to a Grafana server."""
