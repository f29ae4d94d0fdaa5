"""Process-wide thread settings, applied only in the replica process that needs them."""

from __future__ import annotations

import os
import threading

TESSERACT_THREADS_ENV = "OMP_THREAD_LIMIT"


def limit_tesseract_threads() -> None:
    """One OpenMP thread per Tesseract subprocess (replicas already run pages in parallel).

    Called by the OCR and chart replicas at start, never at import: the variable is inherited
    by every process started afterwards and limits any OpenMP library in them; Whisper under
    ctranslate2 decodes garbage with it (a test driver that imported a chart module passed it
    to the whole local Ray cluster).
    """
    os.environ.setdefault(TESSERACT_THREADS_ENV, "1")


WARM_UP_NICE = 10


def lower_this_thread_priority(increment: int = WARM_UP_NICE) -> bool:
    """Lower the CPU priority of the calling thread only (Linux: nice is per thread).

    Warm-ups (model loads, rehearsals) run this way so that on a small machine they give the
    CPU to what decides when the app is ready (the LLM engine starting in another process)
    and to requests already being served. Returns whether it applied.
    """
    if not hasattr(os, "setpriority"):
        return False
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + increment)
    except OSError:
        return False
    return True
