"""End-to-end through the official `openai` client: requests the small stack answers."""

import base64
import shutil
import subprocess

import openai
import pytest

pytestmark = pytest.mark.e2e

SPEECH = "The invoice total is four hundred and twenty dollars. Payment is due on Friday."


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (scripts/setup.sh installs it)")
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(path), SPEECH], check=True, capture_output=True)
    return path


def meta(response):
    return response.model_extra["interfaze"]


def test_exact_calculation_without_the_llm(client):
    response = client.chat.completions.create(
        model="interfaze", messages=[{"role": "user", "content": "What is 123456789 * 987654321?"}]
    )
    assert response.choices[0].message.content == "121932631112635269"
    assert meta(response)["escalated"] is False and meta(response)["answerer"] == "compute"


def test_code_runs_in_the_sandbox(client):
    code = "import math\nprint(sum(math.factorial(i) for i in range(10)))"
    response = client.chat.completions.create(
        model="interfaze",
        messages=[{"role": "user", "content": f"What does this print?\n```python\n{code}\n```"}],
    )
    assert response.choices[0].message.content == "409114"
    assert meta(response)["route"][:2] == ["plan", "execute"]


def test_audio_transcription_endpoint(client, speech_wav):
    with speech_wav.open("rb") as handle:
        text = client.audio.transcriptions.create(model="whisper-1", file=handle)
    assert "invoice" in text.text.lower() and "friday" in text.text.lower()
    with speech_wav.open("rb") as handle:
        srt = client.audio.transcriptions.create(
            model="whisper-1", file=handle, response_format="srt"
        )
    assert "-->" in srt


def test_audio_in_chat_is_transcribed_by_the_small_stack(client, speech_wav):
    audio = base64.b64encode(speech_wav.read_bytes()).decode()
    response = client.chat.completions.create(
        model="interfaze",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "input_audio", "input_audio": {"data": audio, "format": "wav"}},
                    {"type": "text", "text": "Transcribe this recording."},
                ],
            }
        ],
    )
    assert "friday" in response.choices[0].message.content.lower()
    assert meta(response)["escalated"] is False and meta(response)["sources"] == ["audio1"]


def test_non_audio_bytes_labelled_wav_are_rejected(client):
    with pytest.raises(openai.APIStatusError) as error:
        client.chat.completions.create(
            model="interfaze",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "input_audio",
                            "input_audio": {
                                "data": base64.b64encode(b"definitely not audio").decode(),
                                "format": "wav",
                            },
                        }
                    ],
                }
            ],
        )
    assert error.value.status_code == 415


def test_trace_is_retrievable_from_any_replica(client, running_app):
    import httpx

    response = client.chat.completions.create(
        model="interfaze", messages=[{"role": "user", "content": "What is 2 + 2?"}]
    )
    trace_id = meta(response)["trace_id"]
    trace = httpx.get(f"{running_app.base_url}/v1/traces/{trace_id}", timeout=30).json()
    assert trace["trace_id"] == trace_id
    names = [s["name"] for s in trace["stages"]]
    assert names[0] == "plan" and names[-1] == "answer"


def test_js_rendered_page_is_browsed_and_answered(client):
    from loadtest.eval.webpages import PageServer, make_pages

    pages = make_pages(1, seed=3)
    with PageServer(pages) as site:
        url = f"{site.base_url}/product/{pages[0]['slug']}"
        question = [{"role": "user", "content": f"What is the price listed on {url} ?"}]
        for _ in range(2):  # a first Chromium launch on a loaded machine may hit the deadline
            response = client.chat.completions.create(model="interfaze", messages=question)
            if not meta(response)["escalated"]:
                break
    assert pages[0]["price"] in response.choices[0].message.content, meta(response)
    assert meta(response)["route"][:2] == ["plan", "browse"]
    assert meta(response)["escalated"] is False


def test_private_destination_is_refused(client):
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.chat.completions.create(
            model="interfaze",
            messages=[{"role": "user", "content": "Summarize http://169.254.169.254/latest/"}],
            max_tokens=8,
        )
    assert refused.value.status_code == 403
    assert refused.value.body["code"] == "metadata_endpoint"
