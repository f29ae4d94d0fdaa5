"""`ifz ask`: one request through the official openai client, with route and timings."""

from __future__ import annotations

import base64
import mimetypes
import os
import sys
from pathlib import Path
from typing import Any

AUDIO_FORMATS = {".wav": "wav", ".mp3": "mp3", ".flac": "flac", ".ogg": "ogg"}


def content_part(path: Path) -> dict[str, Any]:
    """The OpenAI content part for a local file, chosen by its extension."""
    data = path.read_bytes()
    encoded = base64.b64encode(data).decode()
    suffix = path.suffix.lower()
    if suffix in AUDIO_FORMATS:
        return {
            "type": "input_audio",
            "input_audio": {"data": encoded, "format": AUDIO_FORMATS[suffix]},
        }
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if mime.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{encoded}"}}
    return {
        "type": "file",
        "file": {"filename": path.name, "file_data": f"data:{mime};base64,{encoded}"},
    }


def build_messages(files: list[Path], question: str) -> list[dict[str, Any]]:
    if not files:
        return [{"role": "user", "content": question}]
    parts = [content_part(f) for f in files] + [{"type": "text", "text": question}]
    return [{"role": "user", "content": parts}]


def _print_meta(meta: dict[str, Any] | None) -> None:
    if not meta:
        return
    route = " → ".join(meta.get("route", []))
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in meta.get("timings_ms", {}).items())
    print(
        f"\n[route: {route} | escalated: {meta.get('escalated')} | "
        f"confidence: {meta.get('confidence'):.2f} | trace: {meta.get('trace_id')}]",
        file=sys.stderr,
    )
    print(f"[timings: {timings}]", file=sys.stderr)


def ask(
    *,
    files: list[Path],
    question: str,
    base_url: str,
    model: str,
    api_key: str | None,
    stream: bool,
) -> int:
    import openai

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"ifz ask: no such file(s): {', '.join(missing)}", file=sys.stderr)
        return 2
    client = openai.OpenAI(
        base_url=base_url, api_key=api_key or os.environ.get("IFZ_API_KEY") or "none"
    )
    messages = build_messages(files, question)
    try:
        if stream:
            meta = None
            for chunk in client.chat.completions.create(
                model=model, messages=messages, stream=True
            ):
                if chunk.choices and chunk.choices[0].delta.content:
                    print(chunk.choices[0].delta.content, end="", flush=True)
                meta = (chunk.model_extra or {}).get("interfaze") or meta
            print()
            _print_meta(meta)
            return 0
        response = client.chat.completions.create(model=model, messages=messages)
    except openai.APIStatusError as exc:
        print(f"ifz ask: HTTP {exc.status_code}: {exc.message}", file=sys.stderr)
        return 1
    except openai.APIConnectionError as exc:
        print(f"ifz ask: cannot reach {base_url}: {exc}", file=sys.stderr)
        return 1
    print(response.choices[0].message.content)
    _print_meta((response.model_extra or {}).get("interfaze"))
    return 0
