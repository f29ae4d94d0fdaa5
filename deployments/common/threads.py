"""Process-wide thread settings, applied only in the replica process that needs them."""

from __future__ import annotations

import os

TESSERACT_THREADS_ENV = "OMP_THREAD_LIMIT"


def limit_tesseract_threads() -> None:
    """One OpenMP thread per Tesseract subprocess (replicas already run pages in parallel).

    Called by the OCR and chart replicas at start, never at import: the variable is inherited
    by every process started afterwards and limits any OpenMP library in them; Whisper under
    ctranslate2 decodes garbage with it (a test driver that imported a chart module passed it
    to the whole local Ray cluster).
    """
    os.environ.setdefault(TESSERACT_THREADS_ENV, "1")
