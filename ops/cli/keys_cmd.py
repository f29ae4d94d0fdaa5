"""`ifz keys create|list|revoke|usage`: manage API keys in the gateway's key store."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path


def _store(args: argparse.Namespace):
    from serve.gateway.keys import KeyStore

    if args.store:
        return KeyStore(args.store)
    from serve.config.loader import load_config, parse_overrides
    from serve.gateway.config import GatewaySettings

    config = load_config(args.profile, parse_overrides(args.overrides))
    gateway = getattr(config, "gateway", None) or GatewaySettings()
    path = Path(gateway.auth.key_store_path).expanduser()
    return KeyStore(path if path.is_absolute() else config.data_path() / path)


def _csv(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def cmd_create(args: argparse.Namespace) -> int:
    key, record = _store(args).create(
        args.name,
        allowed_models=_csv(args.models),
        allowed_tools=_csv(args.tools),
        requests_per_minute=args.rpm,
        llm_tokens_per_minute=args.tpm,
        daily_budget=args.daily_budget,
    )
    print(key)
    print(
        f"created key {record.key_id} ({record.name}); this is the only time the key is shown, "
        "store it now",
        file=sys.stderr,
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    records = [r for r in _store(args).list() if args.all or not r.revoked]
    if args.json:
        print(json.dumps([r.__dict__ for r in records], indent=2))
        return 0
    print(f"{'KEY ID':<13} {'NAME':<20} {'CREATED':<17} {'REVOKED':<17} MODELS / TOOLS / LIMITS")
    for r in records:
        limits = "/".join(
            "-" if v is None else str(v)
            for v in (r.requests_per_minute, r.llm_tokens_per_minute, r.daily_budget)
        )
        models = ",".join(r.allowed_models) if r.allowed_models else "*"
        tools = "*" if r.allowed_tools is None else ",".join(r.allowed_tools) or "(none)"
        print(
            f"{r.key_id:<13} {r.name[:20]:<20} {_when(r.created_at):<17} "
            f"{_when(r.revoked_at):<17} {models} / {tools} / rpm,tpm,budget={limits}"
        )
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    if _store(args).revoke(args.key_id):
        print(f"revoked {args.key_id} (replicas stop accepting it within auth.cache_ttl_s)")
        return 0
    print(f"ifz keys: no active key {args.key_id!r}", file=sys.stderr)
    return 1


def cmd_usage(args: argparse.Namespace) -> int:
    rows = _store(args).usage(args.key_id, days=args.days)
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], indent=2))
        return 0
    print(
        f"{'DAY':<11} {'KEY ID':<13} {'REQUESTS':>9} {'REJECTED':>9} {'PROMPT':>9} "
        f"{'COMPLETION':>10} {'COST':>10}"
    )
    for r in rows:
        print(
            f"{r.day:<11} {r.key_id:<13} {r.requests:>9} {r.rejected:>9} {r.prompt_tokens:>9} "
            f"{r.completion_tokens:>10} {r.cost:>10.4f}"
        )
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    try:
        from ops.cli.main import _add_config_args

        _add_config_args(parser)
    except ImportError:  # pragma: no cover - main always defines it
        parser.add_argument("--profile", default=None)
        parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument(
        "--store", default=None, help="key store file (default: from config, under data_dir)"
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    keys = subparsers.add_parser("keys", help="manage API keys (create, list, revoke, usage)")
    sub = keys.add_subparsers(dest="keys_command", required=True)

    create = sub.add_parser("create", help="create a key; prints it once")
    create.add_argument("name", help="who or what the key is for")
    create.add_argument("--models", default=None, help="allowed models, comma-separated")
    create.add_argument(
        "--tools", default=None, help="allowed tools (browse,retrieve,execute); '' for none"
    )
    create.add_argument("--rpm", type=int, default=None, help="requests per minute")
    create.add_argument("--tpm", type=int, default=None, help="LLM tokens per minute")
    create.add_argument("--daily-budget", type=float, default=None, help="estimated cost per day")
    _common(create)
    create.set_defaults(func=cmd_create)

    listing = sub.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    listing.add_argument("--json", action="store_true")
    _common(listing)
    listing.set_defaults(func=cmd_list)

    revoke = sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    _common(revoke)
    revoke.set_defaults(func=cmd_revoke)

    usage = sub.add_parser("usage", help="requests, tokens and estimated cost per key and day")
    usage.add_argument("key_id", nargs="?", default=None)
    usage.add_argument("--days", type=int, default=30)
    usage.add_argument("--json", action="store_true")
    _common(usage)
    usage.set_defaults(func=cmd_usage)
