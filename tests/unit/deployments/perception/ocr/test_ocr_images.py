import pytest
from PIL import Image

from deployments.common.errors import InputTooLarge, MalformedInput
from deployments.perception.ocr.images import (
    ImageDocument,
    header_size,
    set_pil_pixel_limit,
    to_greyscale,
)

from . import samples


@pytest.mark.parametrize("complete", [False, True])
def test_50k_by_50k_png_is_refused_from_its_header(complete):
    data = samples.png_header(50_000, 50_000, complete=complete)
    assert len(data) < 100
    with pytest.raises(InputTooLarge, match=r"50000x50000 .* limit is 20000000") as raised:
        ImageDocument(data, max_pixels=20_000_000)
    assert raised.value.code == "too_many_pixels" and raised.value.status == 413


def test_tiff_bomb_is_refused_and_pil_guard_matches_the_limit():
    set_pil_pixel_limit(20_000_000)
    assert Image.MAX_IMAGE_PIXELS == 20_000_000
    assert header_size(samples.tiff_header(50_000, 50_000)) is None  # PIL's lazy open reads it
    with pytest.raises(InputTooLarge, match="20000000"):
        ImageDocument(samples.tiff_header(50_000, 50_000), max_pixels=20_000_000)


def test_jpeg_bomb_header_is_refused():
    with pytest.raises(InputTooLarge):
        ImageDocument(samples.jpeg_header(60_000, 60_000), max_pixels=20_000_000)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP"])
def test_header_sizes(fmt):
    data = samples.encode(Image.new("RGB", (321, 123), "white"), fmt)
    assert header_size(data) == (321, 123)


def test_truncated_image_is_malformed():
    data = samples.encode(Image.new("L", (400, 300), 128), "PNG")
    with pytest.raises(MalformedInput) as raised:
        ImageDocument(data[: len(data) // 2], max_pixels=10**7).page(0)
    assert raised.value.code == "corrupt_image"


def test_transparent_background_becomes_white_paper():
    rgba = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    rgba.putpixel((5, 5), (0, 0, 0, 255))
    grey = to_greyscale(rgba)
    assert grey.getpixel((0, 0)) == 255 and grey.getpixel((5, 5)) == 0


def test_sixteen_bit_is_rescaled():
    deep = Image.new("I;16", (4, 4), 4000)
    assert to_greyscale(deep).getpixel((0, 0)) == 255


def test_tiff_frames_are_pages_and_dpi_is_read():
    frames = [Image.new("L", (60, 40), v) for v in (0, 255)]
    data = samples.encode(
        frames[0], "TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300)
    )
    document = ImageDocument(data, max_pixels=10**6)
    assert document.count == 2
    first, dpi = document.page(0)
    second, _ = document.page(1)
    assert dpi == 300 and first.mode == "L" and first.getpixel((0, 0)) == 0
    assert second.getpixel((0, 0)) == 255
