import hmac
import os
import sqlite3

import pytest

from deployments.common.errors import Forbidden, Unauthorized
from serve.gateway import keys as keys_module
from serve.gateway.auth import AuthHook
from serve.gateway.config import AuthSettings, GatewaySettings, check_profile, startup_warnings
from serve.gateway.context import RequestContext
from serve.gateway.keys import KeyStore

from .conftest import chat


@pytest.fixture
def store(tmp_path):
    return KeyStore(tmp_path / "keys.db")


def ctx_with(key: str | None, model: str = "interfaze") -> RequestContext:
    headers = {"authorization": f"Bearer {key}"} if key is not None else {}
    return RequestContext(request_id="r1", headers=headers, body=chat("hi", model=model))


def test_keys_are_never_stored_in_clear(store, tmp_path):
    key, record = store.create("ci")
    secret = key.split("-", 3)[3]
    raw = (tmp_path / "keys.db").read_bytes()
    wal = tmp_path / "keys.db-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    assert secret.encode() not in raw and key.encode() not in raw
    rows = sqlite3.connect(tmp_path / "keys.db").execute("SELECT * FROM api_keys").fetchall()
    assert all(secret not in str(row) for row in rows)
    assert (tmp_path / "keys.db").stat().st_mode & 0o077 == 0  # owner-only file
    assert store.verify(key).key_id == record.key_id


def test_verification_compares_in_constant_time(store, monkeypatch):
    key, _ = store.create("ci")
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(keys_module.hmac, "compare_digest", spy)
    assert store.verify(key) is not None
    assert store.verify(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert store.verify("sk-ifz-000000000000-" + "x" * 43) is None  # unknown id: dummy compare
    assert store.verify("not-a-key") is None
    assert len(calls) == 4 and all(a == b == 32 for a, b in calls)


async def test_missing_malformed_invalid_and_revoked_keys_get_401(store):
    hook = AuthHook(AuthSettings(cache_ttl_s=0), store)
    key, record = store.create("ci")
    for presented, code in [
        (None, "missing_api_key"),
        ("", "invalid_api_key"),
        ("sk-ifz-123", "invalid_api_key"),
        (key + "x", "invalid_api_key"),
    ]:
        with pytest.raises(Unauthorized) as err:
            await hook.on_request(ctx_with(presented))
        assert err.value.status == 401 and err.value.code == code
    ctx = ctx_with(key)
    await hook.on_request(ctx)
    assert ctx.key_id == record.key_id
    assert store.revoke(record.key_id) and not store.revoke(record.key_id)
    with pytest.raises(Unauthorized):
        await hook.on_request(ctx_with(key))


async def test_basic_scheme_is_rejected(store):
    hook = AuthHook(AuthSettings(), store)
    key, _ = store.create("ci")
    ctx = RequestContext(request_id="r", headers={"authorization": f"Basic {key}"})
    with pytest.raises(Unauthorized):
        await hook.on_request(ctx)


async def test_revocation_takes_effect_after_the_cache_ttl(store, monkeypatch):
    hook = AuthHook(AuthSettings(cache_ttl_s=5), store)
    key, record = store.create("ci")
    clock = [1000.0]
    monkeypatch.setattr("serve.gateway.auth.time.monotonic", lambda: clock[0])
    await hook.on_request(ctx_with(key))
    store.revoke(record.key_id)
    await hook.on_request(ctx_with(key))  # cached
    clock[0] += 6
    with pytest.raises(Unauthorized):
        await hook.on_request(ctx_with(key))


async def test_per_key_models_and_tools(store):
    hook = AuthHook(AuthSettings(), store)
    key, _ = store.create("limited", allowed_models=["interfaze"], allowed_tools=["retrieve"])
    ctx = ctx_with(key)
    await hook.on_request(ctx)
    assert ctx.tool_allowed("retrieve") and not ctx.tool_allowed("execute")
    assert ctx.allowed_stages(["ocr", "browse", "retrieve", "execute", "llm"]) == [
        "ocr",
        "retrieve",
        "llm",
    ]
    with pytest.raises(Forbidden) as err:
        await hook.on_request(ctx_with(key, model="gemma-3-270m"))
    assert err.value.status == 403 and err.value.code == "model_not_allowed"
    none_key, _ = store.create("no tools", allowed_tools=[])
    ctx = ctx_with(none_key)
    await hook.on_request(ctx)
    assert ctx.allowed_stages(["browse", "execute", "ocr"]) == ["ocr"]


async def test_disabled_auth_is_anonymous_only_in_local_profile():
    hook = AuthHook(AuthSettings(enabled=False), None)
    ctx = ctx_with(None)
    await hook.on_request(ctx)
    assert ctx.key_id == "anonymous"
    off = GatewaySettings.model_validate({"auth": {"enabled": False}})
    check_profile(off, "local")
    with pytest.raises(ValueError, match="only in the local profile"):
        check_profile(off, "gpu")
    [warning] = startup_warnings(off, "local")
    assert "auth is DISABLED" in warning
    assert startup_warnings(GatewaySettings(), "gpu") == []


def test_key_store_files_are_owner_only_whatever_the_umask(tmp_path):
    previous = os.umask(0)
    try:
        store = KeyStore(tmp_path / "data" / "gateway" / "keys.db")
        store.create("ci")
        folder = tmp_path / "data" / "gateway"
        files = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()}
        assert {"keys.db", "keys.db-wal", "keys.db-shm"} <= set(files)
        assert set(files.values()) == {0o600}
        assert folder.stat().st_mode & 0o777 == (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    finally:
        os.umask(previous)


def test_an_existing_readable_key_store_is_tightened(tmp_path):
    first = KeyStore(tmp_path / "keys.db")  # open: its -wal and -shm files exist
    first.create("ci")
    names = ("keys.db", "keys.db-wal", "keys.db-shm")
    for name in names:
        os.chmod(tmp_path / name, 0o644)  # as an older version left them
    KeyStore(tmp_path / "keys.db")
    assert {(tmp_path / n).stat().st_mode & 0o777 for n in names} == {0o600}
    first.close()
