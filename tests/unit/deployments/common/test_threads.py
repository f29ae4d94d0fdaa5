"""OMP_THREAD_LIMIT is set by the OCR and chart replicas at start, never at import.

Imported by a test driver (or a router), the variable reached every Ray worker started later,
and Whisper under ctranslate2 then decoded garbage (")))))") in 20 s instead of the words in
0.7 s.
"""

from __future__ import annotations

import json
import subprocess
import sys

from deployments.common.threads import TESSERACT_THREADS_ENV, limit_tesseract_threads

MODULES = [
    "deployments.perception.chart.labels",
    "deployments.perception.chart.pipeline",
    "deployments.perception.chart.deployment",
    "deployments.perception.ocr.tesseract",
    "deployments.perception.ocr.deployment",
    "deployments.perception.asr.deployment",
]


def test_importing_perception_modules_leaves_the_environment_alone():
    code = (
        "import json, os, importlib, sys\n"
        "before = dict(os.environ)\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "after = dict(os.environ)\n"
        "print(json.dumps({k: after[k] for k in after if before.get(k) != after[k]}))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    changed = json.loads(out.stdout.strip().splitlines()[-1])
    assert TESSERACT_THREADS_ENV not in changed, changed


def test_the_replica_limits_tesseract_threads(monkeypatch):
    monkeypatch.delenv(TESSERACT_THREADS_ENV, raising=False)
    limit_tesseract_threads()
    import os

    assert os.environ[TESSERACT_THREADS_ENV] == "1"


def test_a_warm_up_thread_lowers_only_its_own_priority():
    import os
    import threading

    from deployments.common.threads import lower_this_thread_priority

    main_before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: dict[str, int | bool] = {}

    def warm_up() -> None:
        tid = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, tid)
        seen["applied"] = lower_this_thread_priority(5)
        seen["delta"] = os.getpriority(os.PRIO_PROCESS, tid) - before

    thread = threading.Thread(target=warm_up)
    thread.start()
    thread.join()
    assert seen["applied"] is True and seen["delta"] == min(5, 19 - main_before)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main_before
