import random

from loadtest.context_bench import main, make_request
from serve.context.distill import distill


def test_mixed_request_has_every_modality_and_the_answer_in_its_inputs():
    request = make_request(random.Random(1), 0)
    kinds = {o.kind for o in request.observations}
    assert {"page", "table", "chart", "transcript"} <= kinds
    assert any(request.expected in o.text for o in request.observations)
    distilled = distill(request.question, request.observations)
    assert distilled.tokens_out < distilled.tokens_in
    assert request.expected in "\n".join(distilled.blocks)


def test_bench_prints_its_figures(capsys):
    assert main(["--requests", "4"]) == 0
    out = capsys.readouterr().out
    assert "tokens in" in out and "answer-bearing value in the prompt" in out
