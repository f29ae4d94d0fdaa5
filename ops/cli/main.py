"""`ifz`: serve, ask, render config, prepare models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ops.cli import dashboards_cmd, index_cmd, k8s_cmd, keys_cmd, loadtest_cmd, trace_cmd
from serve.config.loader import ConfigError, load_config, parse_overrides


def _add_config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        default=None,
        help="built-in profile (local, gpu) or a YAML file; default $IFZ_PROFILE or local",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field by dotted path, e.g. --set llm.num_cpus=2",
    )


def _config(args: argparse.Namespace):
    return load_config(args.profile, parse_overrides(args.overrides))


def cmd_serve(args: argparse.Namespace) -> int:
    from deployments.llm.local_model import is_local_source, prepare_local_model
    from ops.cli.serve_cmd import serve_forever

    config = _config(args)
    if args.port:
        config.port = args.port
    if config.llm.enabled and is_local_source(config.llm.model_source):
        prepare_local_model(config.llm.model_source, config.data_path())
    return serve_forever(config, address=args.address)


def cmd_ask(args: argparse.Namespace) -> int:
    from ops.cli.ask import ask

    return ask(
        files=[Path(f) for f in args.inputs[:-1]],
        question=args.inputs[-1],
        base_url=args.base_url,
        model=args.model,
        api_key=args.api_key,
        stream=args.stream,
    )


def cmd_config_render(args: argparse.Namespace) -> int:
    from serve.config.render import render_yaml

    text = render_yaml(_config(args), with_deployments=not args.no_deployments)
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_config_validate(args: argparse.Namespace) -> int:
    config = _config(args)
    print(f"ok: profile {config.profile!r}, app {config.app_name!r}")
    return 0


def cmd_models_prepare(args: argparse.Namespace) -> int:
    from deployments.llm.local_model import is_local_source, prepare_local_model

    config = _config(args)
    source = config.llm.model_source
    if not is_local_source(source):
        print(f"{source} is loaded by vLLM itself (hub id or path); nothing to prepare")
        return 0
    prepare_local_model(source, config.data_path(), force=args.force)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ifz", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve_p = sub.add_parser("serve", help="start Ray and the app; Ctrl-C stops")
    _add_config_args(serve_p)
    serve_p.add_argument("--port", type=int, default=None, help="HTTP port (default: config)")
    serve_p.add_argument("--address", default=None, help="join a running Ray cluster instead")
    serve_p.set_defaults(func=cmd_serve)

    ask_p = sub.add_parser("ask", help="send files and a question; print answer, route, timings")
    ask_p.add_argument("inputs", nargs="+", metavar="[FILE ...] QUESTION")
    ask_p.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    ask_p.add_argument("--model", default="interfaze")
    ask_p.add_argument("--api-key", default=None, help="default: $IFZ_API_KEY or 'none'")
    ask_p.add_argument("--stream", action="store_true", help="print tokens as they arrive")
    ask_p.set_defaults(func=cmd_ask)

    config_p = sub.add_parser("config", help="render or validate configuration")
    config_sub = config_p.add_subparsers(dest="config_command", required=True)
    render_p = config_sub.add_parser("render", help="print the serveConfigV2 YAML")
    _add_config_args(render_p)
    render_p.add_argument("-o", "--output", default=None, help="write to a file")
    render_p.add_argument(
        "--no-deployments", action="store_true", help="omit the per-deployment options"
    )
    render_p.set_defaults(func=cmd_config_render)
    validate_p = config_sub.add_parser("validate", help="validate a profile and overrides")
    _add_config_args(validate_p)
    validate_p.set_defaults(func=cmd_config_validate)

    trace_cmd.register(sub)
    keys_cmd.register(sub)
    index_cmd.register(sub)
    loadtest_cmd.register(sub)
    k8s_cmd.register(sub)
    dashboards_cmd.register(sub)

    models_p = sub.add_parser("models", help="prepare packaged models")
    models_sub = models_p.add_subparsers(dest="models_command", required=True)
    prepare_p = models_sub.add_parser("prepare", help="convert the packaged LLM for vLLM")
    _add_config_args(prepare_p)
    prepare_p.add_argument("--force", action="store_true", help="convert again")
    prepare_p.set_defaults(func=cmd_models_prepare)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"ifz: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
