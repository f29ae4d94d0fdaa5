import numpy as np
import pytest
from PIL import Image, ImageDraw

from deployments.perception.ocr.preprocess import (
    PrepareOptions,
    binarise,
    estimate_skew,
    find_rulings,
    noise_level,
    otsu_ink,
    prepare,
)


@pytest.mark.parametrize("angle", [-2.5, 1.3])
def test_skew_is_found_to_a_tenth_of_a_degree(clean_scan, angle):
    rotated = clean_scan.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    assert estimate_skew(np.asarray(rotated)) == pytest.approx(-angle, abs=0.1)


def test_level_page_and_blank_page_need_no_rotation(clean_scan):
    assert abs(estimate_skew(np.asarray(clean_scan))) < 0.1
    assert estimate_skew(np.full((300, 300), 255, np.uint8)) == 0.0


def test_noise_level_tells_rendered_from_scanned(clean_scan, noisy_scan):
    assert noise_level(np.asarray(clean_scan)) < 2
    assert noise_level(np.asarray(noisy_scan)) >= 5


def test_binarise_removes_specks_but_keeps_full_stops():
    page = np.full((200, 200), 255, np.uint8)
    page[50, 50] = 0  # a speck
    page[100:104, 100:104] = 0  # a full stop at 200 dpi
    clean = binarise(page, 200)
    assert clean[50, 50] == 255 and clean[101, 101] == 0


def test_rulings_are_found_but_tall_letters_are_not():
    image = Image.new("L", (800, 600), 255)
    draw = ImageDraw.Draw(image)
    for y in (100, 150, 200):
        draw.line([(100, y), (700, y)], fill=0, width=2)
    for x in (100, 400, 700):
        draw.line([(x, 100), (x, 200)], fill=0, width=2)
    draw.rectangle([(300, 400), (309, 470)], fill=0)  # a tall letter "l" of a headline
    rulings, mask = find_rulings(otsu_ink(np.asarray(image)), dpi=200)
    assert len(rulings.horizontal) == 3 and len(rulings.vertical) == 3
    assert mask[150, 400] and not mask[430, 305]


def test_prepare_deskews_denoises_and_erases_rulings(noisy_scan):
    prepared = prepare(noisy_scan, 200, PrepareOptions())
    assert prepared.skew_deg == pytest.approx(-2.0, abs=0.1)
    assert prepared.denoised
    assert len(prepared.rulings.horizontal) == 4 and len(prepared.rulings.vertical) == 4
    assert set(np.unique(np.asarray(prepared.image))) <= {0, 255}


def test_prepare_leaves_a_clean_render_alone(clean_scan):
    prepared = prepare(clean_scan, 200, PrepareOptions(remove_rulings=False))
    assert prepared.skew_deg == 0 and not prepared.denoised
    assert np.array_equal(np.asarray(prepared.image), np.asarray(clean_scan))


def test_unknown_dpi_follows_the_text_size(noisy_scan):
    prepared = prepare(noisy_scan, None, PrepareOptions())
    assert prepared.denoised and len(prepared.rulings.horizontal) == 4


def test_sideways_page_is_turned_upright(clean_scan):
    sideways = clean_scan.rotate(90, expand=True)  # counter-clockwise, as a scanner might
    prepared = prepare(sideways, 200, PrepareOptions(detect_orientation=True))
    assert prepared.orientation_deg == 90
    assert prepared.image.size == clean_scan.size
