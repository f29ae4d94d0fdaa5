"""loadtest.ingress_bench: the variant's router CPU against the base, in one run."""

from __future__ import annotations

from loadtest.ingress_bench import variant_ratios


def row(path: str, cpu: float, marginal: float) -> dict:
    return {"path": path, "router_cpu_ms_per_req": cpu, "router_marginal_ms_per_req": marginal}


def test_each_variant_is_divided_by_its_own_ingress():
    results = [
        {"ingress": "haproxy", "paths": [row("mix", 12.0, 10.0)]},
        {"ingress": "default", "paths": [row("mix", 20.0, 16.0)]},
        {"ingress": "haproxy+variant", "paths": [row("mix", 15.0, 12.0)]},
        {"ingress": "default+variant", "paths": [row("mix", 10.0, 8.0), row("noop", 1.0, 1.0)]},
    ]
    assert variant_ratios(results) == [
        "haproxy+variant / haproxy mix router_cpu_ms_per_req: 15.0 / 12.0 = 1.25x",
        "haproxy+variant / haproxy mix router_marginal_ms_per_req: 12.0 / 10.0 = 1.20x",
        "default+variant / default mix router_cpu_ms_per_req: 10.0 / 20.0 = 0.50x",
        "default+variant / default mix router_marginal_ms_per_req: 8.0 / 16.0 = 0.50x",
    ]


def test_a_failed_child_has_no_ratio():
    results = [{"ingress": "haproxy"}, {"ingress": "haproxy+variant", "paths": [row("mix", 1, 1)]}]
    assert variant_ratios(results) == []
