"""API keys in SQLite: salted HMAC-SHA256 digests, never the key itself.

A key looks like ``sk-ifz-<key id>-<secret>``. The key id (12 hex digits) is public and finds
the row; the 256-bit secret is checked against ``HMAC-SHA256(salt, secret)`` with
:func:`hmac.compare_digest`. A fast hash is enough for random 256-bit secrets (no dictionary
to attack, unlike passwords), and keeps verification at microseconds per request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from serve.gateway.private_files import open_private, private_dirs, tighten

KEY_PATTERN = re.compile(r"^sk-ifz-(?P<key_id>[0-9a-f]{12})-(?P<secret>[A-Za-z0-9_-]{32,128})$")
HASH_SCHEME = "hmac-sha256"
_DUMMY_SALT = b"\x00" * 16
_DUMMY_DIGEST = hmac.new(_DUMMY_SALT, b"no such key", hashlib.sha256).digest()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scheme TEXT NOT NULL,
    salt BLOB NOT NULL,
    digest BLOB NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL,
    allowed_models TEXT,
    allowed_tools TEXT,
    requests_per_minute INTEGER,
    llm_tokens_per_minute INTEGER,
    daily_budget REAL
);
CREATE TABLE IF NOT EXISTS key_usage (
    key_id TEXT NOT NULL,
    day TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day)
);
"""


def digest_secret(salt: bytes, secret: str) -> bytes:
    return hmac.new(salt, secret.encode(), hashlib.sha256).digest()


def parse_key(presented: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else None."""
    match = KEY_PATTERN.match(presented)
    return (match["key_id"], match["secret"]) if match else None


@dataclass(frozen=True)
class KeyRecord:
    """One stored key (without its secret)."""

    key_id: str
    name: str
    created_at: float
    revoked_at: float | None
    allowed_models: tuple[str, ...] | None
    allowed_tools: tuple[str, ...] | None
    requests_per_minute: int | None
    llm_tokens_per_minute: int | None
    daily_budget: float | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def display(self) -> str:
        return f"sk-ifz-{self.key_id}-…"


@dataclass(frozen=True)
class UsageRow:
    key_id: str
    day: str
    requests: int
    rejected: int
    prompt_tokens: int
    completion_tokens: int
    cost: float


def _json_list(values: Iterable[str] | None) -> str | None:
    return None if values is None else json.dumps(sorted(set(values)))


def _tuple(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(json.loads(text))


class KeyStore:
    """The key and usage tables of one SQLite file (safe across threads and processes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        private_dirs(self.path.parent)
        # Create the file 0600 before SQLite opens it: SQLite gives the -wal and -shm files it
        # creates the database file's mode, so they are 0600 too, whatever the umask.
        os.close(open_private(self.path, os.O_RDWR | os.O_CREAT))
        for suffix in ("-wal", "-shm", "-journal"):
            tighten(self.path.with_name(self.path.name + suffix))
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    # ------------------------------------------------------------------ keys
    def create(
        self,
        name: str,
        *,
        allowed_models: Iterable[str] | None = None,
        allowed_tools: Iterable[str] | None = None,
        requests_per_minute: int | None = None,
        llm_tokens_per_minute: int | None = None,
        daily_budget: float | None = None,
    ) -> tuple[str, KeyRecord]:
        """Create a key; returns the full key (shown once, never stored) and its record."""
        db = self._connect()
        while True:
            key_id = secrets.token_hex(6)
            if db.execute("SELECT 1 FROM api_keys WHERE key_id=?", (key_id,)).fetchone() is None:
                break
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        db.execute(
            "INSERT INTO api_keys VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                key_id,
                name,
                HASH_SCHEME,
                salt,
                digest_secret(salt, secret),
                time.time(),
                None,
                _json_list(allowed_models),
                _json_list(allowed_tools),
                requests_per_minute,
                llm_tokens_per_minute,
                daily_budget,
            ),
        )
        record = self.get(key_id)
        assert record is not None
        return f"sk-ifz-{key_id}-{secret}", record

    def import_key(self, key: str, name: str = "imported") -> bool:
        """Store an existing full key (e.g. from a Kubernetes Secret); False if known already."""
        match = KEY_PATTERN.match(key.strip())
        if match is None:
            raise ValueError("not an interfaze key (expected sk-ifz-<12 hex>-<secret>)")
        key_id, secret = match.group("key_id"), match.group("secret")
        db = self._connect()
        if db.execute("SELECT 1 FROM api_keys WHERE key_id=?", (key_id,)).fetchone():
            return False
        salt = secrets.token_bytes(16)
        db.execute(
            "INSERT INTO api_keys VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (key_id, name, HASH_SCHEME, salt, digest_secret(salt, secret), time.time(),
             None, None, None, None, None, None),
        )  # fmt: skip
        return True

    def get(self, key_id: str) -> KeyRecord | None:
        row = (
            self._connect()
            .execute(
                "SELECT key_id, name, created_at, revoked_at, allowed_models, allowed_tools, "
                "requests_per_minute, llm_tokens_per_minute, daily_budget "
                "FROM api_keys WHERE key_id=?",
                (key_id,),
            )
            .fetchone()
        )
        return self._record(row) if row else None

    @staticmethod
    def _record(row: tuple) -> KeyRecord:
        return KeyRecord(
            key_id=row[0],
            name=row[1],
            created_at=row[2],
            revoked_at=row[3],
            allowed_models=_tuple(row[4]),
            allowed_tools=_tuple(row[5]),
            requests_per_minute=row[6],
            llm_tokens_per_minute=row[7],
            daily_budget=row[8],
        )

    def list(self) -> list[KeyRecord]:
        rows = (
            self._connect()
            .execute(
                "SELECT key_id, name, created_at, revoked_at, allowed_models, allowed_tools, "
                "requests_per_minute, llm_tokens_per_minute, daily_budget "
                "FROM api_keys ORDER BY created_at"
            )
            .fetchall()
        )
        return [self._record(r) for r in rows]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key; False when no active key has this id."""
        cursor = self._connect().execute(
            "UPDATE api_keys SET revoked_at=? WHERE key_id=? AND revoked_at IS NULL",
            (time.time(), key_id),
        )
        return cursor.rowcount == 1

    def verify(self, presented: str) -> KeyRecord | None:
        """The active record of ``presented``, or None. Constant time in the secret."""
        parsed = parse_key(presented)
        key_id, secret = parsed if parsed else ("", presented)
        row = None
        if parsed:
            row = (
                self._connect()
                .execute("SELECT salt, digest, revoked_at FROM api_keys WHERE key_id=?", (key_id,))
                .fetchone()
            )
        salt, digest = (row[0], row[1]) if row else (_DUMMY_SALT, _DUMMY_DIGEST)
        matches = hmac.compare_digest(digest_secret(salt, secret), digest)
        if not (row and matches) or row[2] is not None:
            return None
        return self.get(key_id)

    # ----------------------------------------------------------------- usage
    def add_usage(self, rows: Iterable[UsageRow]) -> None:
        """Add usage deltas (one transaction)."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO key_usage VALUES (?,?,?,?,?,?,?) ON CONFLICT(key_id, day) DO UPDATE "
                "SET requests=requests+excluded.requests, rejected=rejected+excluded.rejected, "
                "prompt_tokens=prompt_tokens+excluded.prompt_tokens, "
                "completion_tokens=completion_tokens+excluded.completion_tokens, "
                "cost=cost+excluded.cost",
                [
                    (
                        r.key_id,
                        r.day,
                        r.requests,
                        r.rejected,
                        r.prompt_tokens,
                        r.completion_tokens,
                        r.cost,
                    )
                    for r in rows
                ],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def usage(self, key_id: str | None = None, *, days: int = 30) -> list[UsageRow]:
        since = datetime.fromtimestamp(time.time() - days * 86400, UTC).strftime("%Y-%m-%d")
        query = "SELECT * FROM key_usage WHERE day >= ?"
        params: tuple = (since,)
        if key_id:
            query += " AND key_id = ?"
            params += (key_id,)
        rows = self._connect().execute(query + " ORDER BY day, key_id", params).fetchall()
        return [UsageRow(*r) for r in rows]

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
