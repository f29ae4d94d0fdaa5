"""The pipeline with action stages (fake handles): browse URLs, run code, retrieve passages."""

from tests.unit.fakes import (
    FakeLLMHandle,
    FakeStageHandle,
    execution_result,
    page_result,
    prompt_text,
)
from tests.unit.harness import make_harness

PAGE = page_result(
    "http://127.0.0.1:9/shop",
    "Welcome to the shop. The blue kettle costs 34.99 EUR. Shipping takes two days.",
    title="Shop",
    tables=[[["Product", "Price"], ["Kettle", "34.99"], ["Toaster", "59.00"]]],
)


def build(handles):
    app = make_harness(
        handles,
        llm_handle=FakeLLMHandle("From the LLM."),
        actions={"browse": {"allow_hosts": ["127.0.0.1"]}},
    )
    return app, app.llm


def ask(app, text):
    response = app.ask(text)
    assert response.status_code == 200, response.text
    return response.json()


def test_url_is_browsed_and_answered_from_the_page():
    browse = FakeStageHandle(browse=lambda p: PAGE)
    app, llm = build({"browse": browse})
    data = ask(app, "How much is the Kettle on http://127.0.0.1:9/shop ?")
    assert browse.calls[0][1]["url"] == "http://127.0.0.1:9/shop"
    answer = data["choices"][0]["message"]["content"]
    assert "34.99" in answer and len(answer) < 60  # the price, not the page
    assert data["interfaze"]["escalated"] is False and llm.requests == []


def test_code_runs_in_the_sandbox_and_stdout_is_the_answer():
    execute = FakeStageHandle(run=lambda p: execution_result("42\n"))
    app, _llm = build({"execute": execute})
    data = ask(app, "What does this print?\n```python\nprint(6*7)\n```")
    assert execute.calls[0][1]["code"] == "print(6*7)"
    assert data["choices"][0]["message"]["content"] == "42"
    assert data["interfaze"]["answerer"] == "execution"


def test_failed_run_escalates_with_the_error_in_context():
    execute = FakeStageHandle(
        run=lambda p: execution_result("", stderr="ZeroDivisionError", exit_code=1)
    )
    app, llm = build({"execute": execute})
    data = ask(app, "Run this:\n```python\n1/0\n```")
    assert data["interfaze"]["escalated"] is True
    assert "ZeroDivisionError" in prompt_text(llm.requests[0])


def test_retrieved_passages_answer_with_citations():
    hits = {
        "hits": [
            {"text": "The warranty lasts 24 months from delivery.", "score": 0.82,
             "source": "handbook.pdf", "page": 3, "start": 100, "end": 143},
            {"text": "Returns are accepted within 30 days.", "score": 0.41,
             "source": "handbook.pdf", "page": 4, "start": 0, "end": 36},
        ]
    }  # fmt: skip
    retrieve = FakeStageHandle(search=lambda p: hits)
    app, _ = build({"retrieve": retrieve})
    data = ask(app, "How long does the warranty last?")
    assert retrieve.calls[0][1]["query"] == "How long does the warranty last?"
    assert "24 months" in data["choices"][0]["message"]["content"]
    assert data["interfaze"]["sources"] == ["handbook.pdf p.3 chars 100-143"]


def test_browse_failure_degrades_to_the_llm():
    def down(payload):
        raise ConnectionError("browser crashed")

    app, _llm = build({"browse": FakeStageHandle(browse=down)})
    data = ask(app, "Summarize http://127.0.0.1:9/page")
    assert data["interfaze"]["escalated"] is True
    trace = app.trace(data["interfaze"]["trace_id"])
    assert "browse:url1" in trace["skipped"]


def _run_in_process(payload):
    """A stand-in sandbox for the grammar writer's trusted programs (unit tests only)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(payload["code"], {"__name__": "__main__"})  # our own generated code
    return execution_result(out.getvalue())


def test_program_questions_are_computed_in_the_sandbox_and_cross_checked():
    execute = FakeStageHandle(run=_run_in_process)
    app, llm = build({"execute": execute})
    data = ask(app, "What is the sum of the squares of the integers from 1 to 250?")
    assert data["choices"][0]["message"]["content"] == "5239625"
    assert data["interfaze"]["escalated"] is False and data["interfaze"]["answerer"] == "program"
    assert len(execute.calls) == 2 and llm.requests == []  # two samples agreed
    trace = app.trace(data["interfaze"]["trace_id"])
    assert [s["name"] for s in trace["stages"]].count("execute") == 2
    program = next(s for s in trace["stages"] if s["name"] == "program")
    assert program["summary"]["attempts"][0]["values"] == ["5239625", "5239625"]


def test_program_step_needs_the_sandbox_tool():
    app, llm = build({})
    data = ask(app, "How many primes are there below 10000?")
    assert data["interfaze"]["escalated"] is True and llm.requests


WARRANTY = {
    "hits": [
        {"text": "The warranty lasts 24 months from delivery.", "score": 0.82,
         "source": "handbook.pdf", "page": 3, "start": 100, "end": 143},
    ]
}  # fmt: skip


def test_a_question_the_request_itself_answers_skips_the_library_search():
    retrieve = FakeStageHandle(search=lambda p: WARRANTY)
    browse = FakeStageHandle(browse=lambda p: PAGE)
    app, llm = build({"retrieve": retrieve, "browse": browse})
    data = ask(app, "How much is the Kettle on http://127.0.0.1:9/shop ?")
    assert "34.99" in data["choices"][0]["message"]["content"]
    assert retrieve.calls == [] and llm.requests == []
    trace = app.trace(data["interfaze"]["trace_id"])
    assert trace["skipped"]["retrieve"] == "answered from the request's own inputs"
    data = ask(app, "What is 17 * 23?")
    assert data["choices"][0]["message"]["content"].startswith("391")
    assert retrieve.calls == []


def test_the_library_is_searched_when_the_request_alone_does_not_answer():
    retrieve = FakeStageHandle(search=lambda p: WARRANTY)
    app, llm = build({"retrieve": retrieve})
    data = ask(app, "How long does the warranty last?")
    assert len(retrieve.calls) == 1 and "24 months" in data["choices"][0]["message"]["content"]
    data = ask(app, "Write a haiku about kettles.")  # escalates: the LLM gets the search too
    assert len(retrieve.calls) == 2 and data["interfaze"]["escalated"] is True
    assert len(llm.requests) == 1
