import argparse
import json

import pytest

from ops.cli import keys_cmd
from serve.gateway.keys import KeyStore


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ifz")
    keys_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def store_path(tmp_path):
    return str(tmp_path / "keys.db")


def test_create_shows_the_key_once_then_list_revoke_usage(store_path, capsys):
    assert run(["keys", "create", "ci", "--models", "interfaze", "--tools", "retrieve",
                "--rpm", "5", "--store", store_path]) == 0  # fmt: skip
    out = capsys.readouterr()
    key = out.out.strip()
    assert key.startswith("sk-ifz-") and "only time" in out.err
    record = KeyStore(store_path).verify(key)
    assert record.allowed_tools == ("retrieve",) and record.requests_per_minute == 5

    assert run(["keys", "list", "--store", store_path]) == 0
    listing = capsys.readouterr().out
    assert record.key_id in listing and key not in listing and key.split("-", 3)[3] not in listing

    assert run(["keys", "revoke", record.key_id, "--store", store_path]) == 0
    assert run(["keys", "revoke", record.key_id, "--store", store_path]) == 1
    capsys.readouterr()
    assert run(["keys", "list", "--store", store_path]) == 0
    assert record.key_id not in capsys.readouterr().out
    assert run(["keys", "list", "--all", "--json", "--store", store_path]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["revoked_at"] is not None


def test_usage_lists_per_key_and_day(store_path, capsys):
    from serve.gateway.keys import UsageRow

    store = KeyStore(store_path)
    _, record = store.create("ci")
    store.add_usage([UsageRow(record.key_id, "2099-01-01", 3, 1, 30, 10, 0.5)])
    store.add_usage([UsageRow(record.key_id, "2099-01-01", 1, 0, 5, 5, 0.25)])
    assert run(["keys", "usage", record.key_id, "--json", "--store", store_path]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["requests"], row["rejected"], row["prompt_tokens"], row["cost"]) == (4, 1, 35, 0.75)
    assert run(["keys", "usage", "--store", store_path]) == 0
    assert "2099-01-01" in capsys.readouterr().out


def test_store_path_comes_from_config_data_dir(tmp_path, capsys):
    assert run(["keys", "create", "cfg", "--set", f"data_dir={tmp_path}"]) == 0
    capsys.readouterr()
    assert (tmp_path / "gateway" / "keys.db").exists()
