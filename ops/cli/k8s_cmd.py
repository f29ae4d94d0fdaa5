"""`ifz k8s render|deploy|status|delete`: the RayService on a Kubernetes cluster with KubeRay.

The manifest comes from the Helm chart (``--chart``, via ``helm template``) or, by default,
from a profile rendered into a RayService by Python (``--profile``, default gpu); both read
chart values (``-f/--values``, ``--set``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT_S = 1800.0
DEFAULT_RELEASE = "interfaze-serve"
CHART_NAME = "interfaze-serve"


def _add_source_args(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--chart",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="render with `helm template` of this chart (default: helm/interfaze-serve)",
    )
    source.add_argument(
        "--profile",
        default=None,
        help="app config for the Python renderer: built-in profile or YAML file (default gpu)",
    )
    parser.add_argument(
        "-f",
        "--values",
        dest="values_files",
        action="append",
        default=[],
        metavar="FILE",
        help="chart values file (repeatable), as for helm",
    )
    parser.add_argument(
        "--set",
        dest="set_values",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="chart value by dotted path, e.g. --set workers.gpu.maxReplicas=8",
    )
    parser.add_argument("--release", default=DEFAULT_RELEASE, help="release name (object names)")


def _add_cluster_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--namespace", default=None, help="default: the context's")
    parser.add_argument("--context", default=None, help="kubeconfig context")
    parser.add_argument(
        "--server",
        default=None,
        help="API server URL without credentials, e.g. `kubectl proxy`'s http://127.0.0.1:8001",
    )


def render_objects(args: argparse.Namespace, namespace: str) -> list[dict[str, Any]]:
    """The objects to apply, from the chart (helm) or the Python renderer."""
    from ops.k8s import manifests
    from ops.k8s.helm import CHART_DIR, Helm
    from ops.k8s.rayservice import RayServiceRenderer, load_values, parse_set_values

    if args.chart is not None:
        chart = Path(args.chart) if args.chart else CHART_DIR
        text = Helm().template(
            chart,
            release=args.release,
            namespace=namespace,
            values_files=args.values_files,
            set_values=args.set_values,
        )
        return manifests.load_all(text)
    values = load_values(args.profile, args.values_files, parse_set_values(args.set_values))
    return [RayServiceRenderer(values, release=args.release, namespace=namespace).render()]


def _client(args: argparse.Namespace):
    from kubernetes import client

    from ops.k8s.client import KubeClient, load_api_client

    if args.server:
        api, namespace = client.ApiClient(client.Configuration(host=args.server)), "default"
    else:
        api, namespace = load_api_client(args.context)
    return KubeClient(api, args.namespace or namespace)


def _rayservice_name(objects: list[dict[str, Any]]) -> str:
    from ops.k8s import manifests

    return manifests.find(objects, "RayService")["metadata"]["name"]


def _default_name(release: str) -> str:
    return (release if CHART_NAME in release else f"{release}-{CHART_NAME}")[:40].rstrip("-")


def _fail(exc: Exception) -> int:
    print(f"ifz: {exc}", file=sys.stderr)
    return 1


def cmd_render(args: argparse.Namespace) -> int:
    from ops.k8s import manifests
    from ops.k8s.helm import HelmError

    try:
        objects = render_objects(args, args.namespace or "default")
    except HelmError as exc:
        return _fail(exc)
    text = manifests.dump_all(objects)
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _print_change(status) -> None:
    print(f"  {status.summary()}", flush=True)


def cmd_deploy(args: argparse.Namespace) -> int:
    from ops.k8s import manifests
    from ops.k8s.client import KubeError, apply_order
    from ops.k8s.helm import HelmError

    try:
        kube = _client(args)
        objects = apply_order(render_objects(args, kube.namespace))
        if args.dry_run:
            sys.stdout.write(manifests.dump_all(objects))
            return 0
        for obj in objects:
            kube.apply(obj)
            print(f"applied {obj['kind']} {kube.namespace}/{obj['metadata']['name']}", flush=True)
        name = _rayservice_name(objects)
        if not args.wait:
            return 0
        print(f"waiting up to {args.timeout:.0f} s for RayService {name} to be ready ...")
        status = kube.wait_ready(name, args.timeout, on_change=_print_change)
    except (KubeError, HelmError, LookupError) as exc:
        return _fail(exc)
    except TimeoutError as exc:
        print(f"ifz: {exc}", file=sys.stderr)
        return 1
    print(status.render())
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from ops.k8s.client import KubeError

    name = args.name or _default_name(args.release)
    try:
        kube = _client(args)
        if args.wait:
            status = kube.wait_ready(name, args.timeout, on_change=_print_change)
        else:
            status = kube.status(name)
    except KubeError as exc:
        return _fail(exc)
    except TimeoutError as exc:
        print(f"ifz: {exc}", file=sys.stderr)
        return 1
    print(status.render())
    return 0 if status.ready else 3


def cmd_delete(args: argparse.Namespace) -> int:
    from ops.k8s.client import KubeError, apply_order
    from ops.k8s.helm import HelmError

    try:
        kube = _client(args)
        if args.name:
            objects = [
                {"apiVersion": "ray.io/v1", "kind": "RayService", "metadata": {"name": args.name}}
            ]
        else:
            objects = list(reversed(apply_order(render_objects(args, kube.namespace))))
        for obj in objects:
            gone = kube.delete(obj)
            state = "deleted" if gone else "not found"
            print(f"{state}: {obj['kind']} {kube.namespace}/{obj['metadata']['name']}")
    except (KubeError, HelmError) as exc:
        return _fail(exc)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `ifz k8s ...` to the top-level parser."""
    k8s_p = subparsers.add_parser("k8s", help="deploy to Kubernetes (KubeRay RayService)")
    k8s_sub = k8s_p.add_subparsers(dest="k8s_command", required=True)

    render_p = k8s_sub.add_parser("render", help="print the manifest that deploy would apply")
    _add_source_args(render_p)
    render_p.add_argument("-n", "--namespace", default=None, help="namespace to render for")
    render_p.add_argument("-o", "--output", default=None, help="write to a file")
    render_p.set_defaults(func=cmd_render)

    deploy_p = k8s_sub.add_parser("deploy", help="server-side apply, then wait until Ready")
    _add_source_args(deploy_p)
    _add_cluster_args(deploy_p)
    deploy_p.add_argument("--no-wait", dest="wait", action="store_false", help="do not wait")
    deploy_p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds")
    deploy_p.add_argument("--dry-run", action="store_true", help="print, apply nothing")
    deploy_p.set_defaults(func=cmd_deploy)

    status_p = k8s_sub.add_parser("status", help="conditions, applications and deployments")
    status_p.add_argument("--name", default=None, help="RayService name (default: release's)")
    status_p.add_argument("--release", default=DEFAULT_RELEASE, help="release name")
    _add_cluster_args(status_p)
    status_p.add_argument("--wait", action="store_true", help="watch until Ready")
    status_p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds")
    status_p.set_defaults(func=cmd_status)

    delete_p = k8s_sub.add_parser("delete", help="delete what deploy applied (or --name)")
    _add_source_args(delete_p)
    _add_cluster_args(delete_p)
    delete_p.add_argument("--name", default=None, help="delete only this RayService")
    delete_p.set_defaults(func=cmd_delete)
