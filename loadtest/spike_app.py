"""The app in a child process for spike tests: prints its URL, then replica counts, until told.

    .venv/bin/python -m loadtest.spike_app --profile loadtest/profiles/spike-local.yaml \\
        --retry-after 1 --only-stages ''

stdout is JSON lines: first ``{"base_url": ...}`` once healthy, then every ``--interval`` s
``{"t": unix_s, "running": {deployment: replicas}}`` from ``serve.status()``. Closing stdin
(or SIGTERM) stops Serve and Ray. A separate process keeps this Ray apart from any other Ray
the caller may run (e.g. the shared app of the integration tests).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _emit(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="loadtest/profiles/spike-local.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="K=V")
    parser.add_argument("--ingress", choices=["default", "haproxy"], default=None)
    parser.add_argument("--only-stages", default=None, help="comma list; '' = router alone")
    parser.add_argument("--retry-after", type=float, default=None)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--max-lifetime", type=float, default=600, help="stop after this")
    args = parser.parse_args(argv)

    from loadtest.backpressure import install_backpressure_shim
    from loadtest.local_app import app_config, app_overrides, local_app
    from loadtest.scraper import serve_status_probe

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    if args.retry_after is not None:
        install_backpressure_shim(args.retry_after)
    overrides = app_overrides(args.overrides, args.only_stages)
    config = app_config(args.profile, overrides, ingress=args.ingress)
    deadline = time.monotonic() + args.max_lifetime
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    with local_app(config, log=log) as app:
        _emit({"base_url": app.base_url, "startup_s": round(app.startup_s, 1)})
        probe = serve_status_probe(config.app_name)
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                _emit({"t": time.time(), "running": probe()})
            except Exception as exc:  # keep reporting; one failed status call is not fatal
                _emit({"t": time.time(), "error": f"{type(exc).__name__}: {exc}"[:200]})
            stop.wait(args.interval)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
