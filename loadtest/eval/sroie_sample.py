"""Draw a further sample of SROIE receipts into ``loadtest/eval/data/sroie`` (reproducible).

    .venv/bin/python -m loadtest.eval.sroie_sample \
        --repo /work/.mirror/zzzDavid+ICDAR-2019-SROIE/repo

The source is the git mirror of ``zzzDavid/ICDAR-2019-SROIE`` (see the folder's PROVENANCE.md),
read with ``git show``, so no work tree is needed. Receipts already in ``labels.jsonl`` are
skipped; the new ones are drawn with ``random.Random(seed)``, shuffled with
``random.Random(seed + 1)`` and split half dev, half held-out *before* anything is run on them.
Images are stored as in the first sample: greyscale JPEG quality 75, longest side ≤ 1800 px.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
from pathlib import Path

from PIL import Image

FOLDER = Path(__file__).parent / "data" / "sroie"
MAX_SIDE = 1800
QUALITY = 75


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def draw(repo: Path, count: int, seed: int, commit: str) -> list[dict]:
    """Add ``count`` receipts not yet sampled; returns their label rows."""
    labels = FOLDER / "labels.jsonl"
    rows = [json.loads(line) for line in labels.read_text().splitlines()]
    taken = {r["id"] for r in rows}
    names = _git(repo, "ls-tree", "--name-only", f"{commit}:data/key").decode().split()
    ids = sorted(n.removesuffix(".json") for n in names if n.endswith(".json"))
    chosen = random.Random(seed).sample([i for i in ids if i not in taken], count)
    random.Random(seed + 1).shuffle(chosen)
    added = []
    for position, rid in enumerate(chosen):
        key = json.loads(_git(repo, "show", f"{commit}:data/key/{rid}.json"))
        blob = _git(repo, "rev-parse", f"{commit}:data/img/{rid}.jpg").decode().strip()
        with Image.open(io.BytesIO(_git(repo, "show", f"{commit}:data/img/{rid}.jpg"))) as im:
            size = list(im.size)
            grey = im.convert("L")
            grey.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            grey.save(out, "JPEG", quality=QUALITY)
        (FOLDER / "images" / f"{rid}.jpg").write_bytes(out.getvalue())
        split = "dev" if position < count // 2 else "heldout"
        added.append({"id": rid, "file": f"images/{rid}.jpg", "split": split,
                      "company": key.get("company", ""), "date": key.get("date", ""),
                      "address": key.get("address", ""), "total": key.get("total", ""),
                      "source_blob": blob, "original_size": size,
                      "sample": seed})  # fmt: skip
    with labels.open("a") as handle:
        for row in added:
            handle.write(json.dumps(row) + "\n")
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True, help="the SROIE git mirror")
    parser.add_argument("--commit", default="27be4271b251c256f695acbade9a801bffe85994")
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    added = draw(args.repo, args.count, args.seed, args.commit)
    splits = {s: sum(r["split"] == s for r in added) for s in ("dev", "heldout")}
    print(f"added {len(added)} receipts: {splits}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
