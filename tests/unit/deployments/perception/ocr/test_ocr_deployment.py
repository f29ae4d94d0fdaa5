"""The replica class without Ray: JSON out, 4xx errors for bad input, and it keeps serving."""

import asyncio

import pytest

from deployments.common.errors import (
    InputRejected,
    InputTooLarge,
    MalformedInput,
    UnsupportedInput,
)
from deployments.perception.ocr.deployment import OcrDeployment

from . import samples


@pytest.fixture(scope="module")
def deployment(ocr_settings):
    return OcrDeployment(ocr_settings.model_dump(mode="json"))


BAD_INPUTS = {
    "zero-byte file": ({"data": b""}, MalformedInput, "empty_media"),
    "corrupt PDF": ({"data": b"%PDF-1.4\n1 0 obj garbage"}, MalformedInput, "corrupt_pdf"),
    "encrypted PDF": ({"data": samples.encrypted_pdf()}, UnsupportedInput, "encrypted_pdf"),
    "50k x 50k PNG": (
        {"data": samples.png_header(50_000, 50_000)},
        InputTooLarge,
        "too_many_pixels",
    ),
    "truncated PNG": (
        {"data": samples.png_header(300, 300, complete=True)},
        MalformedInput,
        "corrupt_image",
    ),
    "PDF declared as PNG": (
        {"data": samples.text_pdf(), "mime": "image/png"},
        UnsupportedInput,
        "media_type_mismatch",
    ),
    "PNG named .pdf": (
        {"data": samples.png_header(10, 10), "filename": "report.pdf"},
        UnsupportedInput,
        "media_type_mismatch",
    ),
    "too many pages": ({"data": samples.text_pdf(pages=6)}, InputTooLarge, "too_many_pages"),
    "over max_bytes": ({"data": b"%PDF-" + b"0" * 6_000_000}, InputTooLarge, "media_too_large"),
    "audio": ({"data": b"fLaC\x00\x00\x00\x22"}, UnsupportedInput, "unsupported_media_type"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
async def test_bad_input_gets_a_clear_4xx(deployment, case):
    request, error, code = BAD_INPUTS[case]
    with pytest.raises(error) as raised:
        await deployment.process(request)
    assert isinstance(raised.value, InputRejected) and 400 <= raised.value.status < 500
    assert raised.value.code == code and raised.value.message


async def test_limits_are_named_in_the_message(deployment):
    with pytest.raises(InputTooLarge, match=r"limit is 20000000 \(ocr.max_pixels\)"):
        await deployment.process({"data": samples.png_header(50_000, 50_000)})
    with pytest.raises(InputTooLarge, match=r"limit is 5 \(ocr.max_pages\)"):
        await deployment.process({"data": samples.text_pdf(pages=6)})


async def test_serves_json_after_bad_input(deployment):
    with pytest.raises(MalformedInput):
        await deployment.process({"data": b""})
    results = await asyncio.gather(
        *(deployment.process({"data": samples.text_pdf(), "pages": 1}) for _ in range(3))
    )
    for result in results:
        assert result["pages"][0]["text"] == samples.expected_text()
        assert result["pages"][0]["tables"][0]["rows"] == samples.TABLE
        assert isinstance(result["pages"][0]["blocks"][0]["bbox"], list)


async def test_health_and_description(deployment):
    await deployment.check_health()
    described = await deployment.describe()
    assert described["backend"] == "tesseract" and described["max_pages"] == 5
