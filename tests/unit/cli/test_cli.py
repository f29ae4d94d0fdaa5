import base64

import pytest
import yaml

from ops.cli.ask import build_messages, content_part
from ops.cli.main import main


def test_content_parts_by_extension(tmp_path):
    pdf, png, wav = tmp_path / "a.pdf", tmp_path / "b.png", tmp_path / "c.wav"
    for path in (pdf, png, wav):
        path.write_bytes(b"bytes")
    assert content_part(pdf)["file"]["file_data"].startswith("data:application/pdf;base64,")
    assert content_part(png)["image_url"]["url"].startswith("data:image/png;base64,")
    audio = content_part(wav)["input_audio"]
    assert audio["format"] == "wav" and base64.b64decode(audio["data"]) == b"bytes"


def test_build_messages_appends_question_after_files(tmp_path):
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF")
    [message] = build_messages([pdf], "total?")
    assert [p["type"] for p in message["content"]] == ["file", "text"]
    assert build_messages([], "hi") == [{"role": "user", "content": "hi"}]


def test_config_validate_reports_field_and_exit_code(capsys):
    assert main(["config", "validate", "--set", "llm.num_gpus=0.5"]) == 2
    assert "num_gpus must be 0" in capsys.readouterr().err
    assert main(["config", "validate", "--profile", "gpu"]) == 0


def test_config_render_gpu_profile(tmp_path):
    out = tmp_path / "serve.yaml"
    assert main(["config", "render", "--profile", "gpu", "-o", str(out)]) == 0
    document = yaml.safe_load(out.read_text())
    [app] = document["applications"]
    assert app["import_path"] == "serve.app_builder:build_app"
    assert app["args"]["llm"]["num_gpus"] == 0.5
    llm = next(d for d in app["deployments"] if d["name"] == "llm")
    assert llm["placement_group_bundles"] == [{"GPU": 0.5, "CPU": 2.0}]


def test_ask_reports_missing_file(tmp_path, capsys):
    assert main(["ask", str(tmp_path / "nope.pdf"), "question"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_unknown_command_exits():
    with pytest.raises(SystemExit):
        main(["fly"])


def test_format_trace_lists_stages():
    from ops.cli.trace_cmd import format_trace

    text = format_trace(
        {
            "trace_id": "t1",
            "model": "interfaze",
            "status": 200,
            "route": "pdf",
            "plan": ["ocr", "llm"],
            "inputs": {"pdf": 1},
            "stages": [
                {"name": "ocr", "started_ms": 0.2, "duration_ms": 812.5, "summary": {"pages": 2}},
                {"name": "llm", "started_ms": 813.0, "duration_ms": 950.0, "summary": {}},
            ],
            "skipped": {"retrieve": "not deployed"},
            "confidence": 0.4,
            "escalated": True,
            "escalation_reason": "no confident small-stack answer",
        }
    )
    assert "ocr" in text and "812.5 ms" in text and "escalated True" in text
    assert "retrieve" in text
