"""The dev-only hard scan sets: dev documents and photos, degraded harder, no held-out part."""

import base64
import io
import random

import numpy as np
from PIL import Image

from loadtest.eval.hard_scans import HARD, degrade, receipt_real_hard_cases


def test_degrade_fades_ink_and_keeps_a_record():
    page = Image.new("L", (300, 120), 255)
    page.paste(0, (40, 40, 260, 80))  # a block of black ink
    rng = random.Random(0)
    found = []
    for _ in range(12):
        out, info = degrade(page, rng)
        assert out.mode == "L" and "noise" in info
        found.append((info, np.asarray(out)))
    faded = [(info, px) for info, px in found if "fade" in info and "skew" not in info]
    assert faded, "fade is drawn often enough to appear in 12 draws"
    info, pixels = faded[0]
    low, high = HARD["fade"][1:]
    assert low <= info["fade"] <= high
    assert pixels[55:65, 100:200].mean() > 40  # the ink is no longer black


def test_receipt_hard_cases_are_dev_photos_only():
    cases = receipt_real_hard_cases(seed=1, split="dev", count=6)
    assert len(cases) == 6 and {c.split for c in cases} == {"dev"}
    assert {c.meta["kind"] for c in cases} == {"total", "company", "date"}
    url = cases[0].messages[0]["content"][0]["image_url"]["url"]
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert image.format == "JPEG"
    assert receipt_real_hard_cases(seed=1, split="heldout", count=6) == []
