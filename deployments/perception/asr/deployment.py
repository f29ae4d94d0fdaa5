"""The ASR replica: a plain class that the builder turns into a Ray Serve deployment."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from time import perf_counter
from typing import Any

from deployments.common.errors import ServeError
from deployments.perception.asr.config import AsrSettings
from deployments.perception.asr.protocol import TranscriptionEvent
from deployments.perception.asr.transcriber import Transcriber, TranscriptionStream

logger = logging.getLogger(__name__)

# Consecutive backend failures (not bad input) after which the replica reports itself
# unhealthy, so Ray Serve replaces it (e.g. a wedged GPU context).
UNHEALTHY_AFTER_FAILURES = 3


class AsrDeployment:
    """Loads the model once; transcribes in worker threads, a few at a time."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = AsrSettings.model_validate(settings)
        started = perf_counter()
        self.transcriber = Transcriber(self.settings)
        self._slots = asyncio.Semaphore(self.settings.max_concurrent_transcriptions)
        self._failures = 0
        logger.info(
            "asr: %s %s loaded in %.1f s",
            self.settings.backend,
            self.settings.model,
            perf_counter() - started,
        )

    async def transcribe(self, request: dict[str, Any]) -> dict[str, Any]:
        """``request``: data (bytes), mime, filename, language, prompt, temperature,
        timestamp_granularities. Returns ``Transcription.model_dump(mode="json")``; raises
        MalformedInput (400), InputTooLarge (413) or UnsupportedInput (415) for bad input.
        """
        started = perf_counter()
        parsed, options, probe, probe_ms = await self._prepare(request)
        queued = perf_counter()
        async with self._slots:
            queue_ms = round((perf_counter() - queued) * 1000, 1)
            try:
                transcription = await asyncio.to_thread(
                    self.transcriber.run, parsed, probe, options
                )
            except ServeError:
                raise
            except Exception:
                self._failures += 1
                logger.exception("asr: transcription failed (%d in a row)", self._failures)
                raise
        self._failures = 0
        transcription.timings_ms.update(
            probe=probe_ms, queue=queue_ms, total=round((perf_counter() - started) * 1000, 1)
        )
        return transcription.model_dump(mode="json")

    async def transcribe_stream(self, request: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """:meth:`transcribe`, segment by segment as the model decodes them: ``segment``
        events (``TranscriptionEvent`` dicts), then one ``done`` event with the whole result.

        Bad input raises before the first event. Cancel-safe: when the caller goes away the
        segment being decoded is finished, decoding stops and the slot is released.
        """
        started = perf_counter()
        parsed, options, probe, probe_ms = await self._prepare(request)
        queued = perf_counter()
        async with self._slots:
            queue_ms = round((perf_counter() - queued) * 1000, 1)
            stream = await self._in_thread(self.transcriber.start, parsed, probe, options)
            try:
                while (segment := await self._next_segment(stream)) is not None:
                    event = TranscriptionEvent(type="segment", segment=segment)
                    yield event.model_dump(mode="json", exclude_none=True)
            finally:
                stream.close()
        self._failures = 0
        transcription = stream.result()
        transcription.timings_ms.update(
            probe=probe_ms, queue=queue_ms, total=round((perf_counter() - started) * 1000, 1)
        )
        done = TranscriptionEvent(type="done", transcription=transcription)
        yield done.model_dump(mode="json", exclude_none=True)

    async def _prepare(self, request: dict[str, Any]) -> tuple[Any, Any, Any, float]:
        """Parse, decoding options and the probe (duration, format), with the probe's time.

        These cheap checks run before queueing, so oversized input is refused even when busy.
        """
        parsed = self.transcriber.parse_request(request)
        options = self.transcriber.decode_options(parsed)
        probe_started = perf_counter()
        probe = await asyncio.to_thread(self.transcriber.probe, parsed)
        return parsed, options, probe, round((perf_counter() - probe_started) * 1000, 1)

    async def _next_segment(self, stream: TranscriptionStream) -> Any:
        return await self._in_thread(stream.next_segment)

    async def _in_thread(self, fn: Any, *args: Any) -> Any:
        """``fn(*args)`` in a worker thread. When the caller is cancelled meanwhile, the call
        is still awaited to its end (the stream is not closed under a running decoder)."""
        future = asyncio.get_running_loop().run_in_executor(None, fn, *args)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            while not future.done():  # even if cancelled again: the decoder must stop first
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([future])
            raise
        except ServeError:
            raise
        except Exception:
            self._failures += 1
            logger.exception("asr: streamed transcription failed (%d in a row)", self._failures)
            raise

    async def check_health(self) -> None:
        """Ray Serve health check: the model is loaded and the backend is not failing."""
        if self.transcriber.backend is None:
            raise RuntimeError("ASR model is not loaded")
        if self._failures >= UNHEALTHY_AFTER_FAILURES:
            raise RuntimeError(f"ASR backend failed {self._failures} transcriptions in a row")

    def describe(self) -> dict[str, Any]:
        """Backend, model and limits, for /v1/models and traces."""
        backend = self.transcriber.backend
        return {
            "backend": backend.name,
            "model": backend.model_name,
            "multilingual": backend.multilingual,
            "max_bytes": self.settings.max_bytes,
            "max_duration_s": self.settings.max_duration_s,
        }
