"""The parse-once record: built once from the request, read by the planner and the stages."""

from deployments.common.netguard import GuardPolicy, NetGuard
from serve.api.protocol import ChatCompletionRequest
from serve.gateway.config import ValidationSettings
from serve.inputs.parse import InputParser
from serve.stages.spec import InputKind
from tests.unit.media_samples import (
    audio_part,
    file_part,
    image_bytes,
    image_part,
    pdf_bytes,
    wav_bytes,
)


def parse(messages, **settings):
    body = ChatCompletionRequest.model_validate({"model": "interfaze", "messages": messages})
    parser = InputParser(ValidationSettings(**settings), NetGuard(GuardPolicy.build()))
    return parser.parse(body)


def test_media_are_decoded_once_named_in_order_and_sniffed():
    inputs = parse(
        [
            {"role": "system", "content": "be brief"},
            {
                "role": "user",
                "content": [
                    file_part(pdf_bytes(2)),
                    image_part(image_bytes("PNG", (40, 20))),
                    image_part(image_bytes("JPEG"), "image/jpeg"),
                    audio_part(wav_bytes(1.0)),
                    {"type": "text", "text": "What is the total?"},
                ],
            },
        ]
    )
    assert [m.source_id for m in inputs.media] == ["doc1", "img1", "img2", "audio1"]
    assert [m.mime for m in inputs.media] == [
        "application/pdf", "image/png", "image/jpeg", "audio/wav"
    ]  # fmt: skip
    assert inputs.media[0].facts == {"pages": 2} and inputs.media[0].filename == "a.pdf"
    assert inputs.media[1].facts == {"width": 40, "height": 20}
    assert inputs.media[1].param == "messages.1.content.1"
    assert inputs.question == "What is the total?"
    assert inputs.kinds == {InputKind.PDF, InputKind.IMAGE, InputKind.AUDIO, InputKind.TEXT}
    assert inputs.part_counts == {"pdf": 1, "image": 2, "audio": 1}


def test_urls_and_code_come_from_the_last_user_message_checked_and_capped():
    inputs = parse(
        [
            {"role": "user", "content": "earlier: https://old.example/a"},
            {"role": "assistant", "content": "ok"},
            {
                "role": "user",
                "content": "Compare https://a.example/x, https://b.example/y and "
                "https://a.example/x. Then run this and print the result:\n"
                "```python\nprint(6*7)\n```",
            },
        ],
        max_urls=5,
    )
    assert inputs.urls == ["https://a.example/x", "https://b.example/y"]
    assert inputs.code == ["print(6*7)"]
    assert inputs.kinds == {InputKind.URL, InputKind.TEXT}
    assert inputs.part_counts == {"url": 2}


def test_code_shown_for_discussion_is_not_run():
    inputs = parse([{"role": "user", "content": "Is this idiomatic?\n```python\nx=1\n```"}])
    assert inputs.code == []


def test_browse_limit_is_the_validation_max_urls():
    urls = " ".join(f"https://h{i}.example/" for i in range(4))
    assert len(parse([{"role": "user", "content": urls}], max_urls=4).urls) == 4


def test_media_in_other_roles_is_checked_but_not_read():
    inputs = parse(
        [
            {"role": "assistant", "content": [image_part(image_bytes())]},
            {"role": "user", "content": "and now?"},
        ]
    )
    assert inputs.media == [] and inputs.kinds == {InputKind.TEXT}
