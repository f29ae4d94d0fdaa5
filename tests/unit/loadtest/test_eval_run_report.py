from loadtest.eval.run import _outcome_only


def test_a_held_out_report_keeps_outcomes_not_cases():
    record = {"id": "x-heldout-1", "category": "invoice_scan", "split": "heldout",
              "question": "Who issued it?", "answer": "ACME", "expected": ["ACME Ltd"],
              "small_answer": "ACME", "candidates": [{"text": "ACME"}], "correct": False,
              "escalated": False, "confidence": 0.9, "threshold": 0.7}  # fmt: skip
    kept = _outcome_only(record)
    assert kept["correct"] is False and kept["confidence"] == 0.9 and kept["threshold"] == 0.7
    assert not {"question", "answer", "expected", "small_answer", "candidates"} & set(kept)


def test_a_refused_request_is_no_answer_given_without_the_llm():
    from loadtest.eval.cases import Case
    from loadtest.eval.run import Result, summarize

    case = Case("web-0-price", "web", [], ["452.99"], "q", {}, "dev")
    refused = Result(case, "interfaze", "HTTP 403", False, False, 0.01, 0, 0, 403, {})
    answered = Result(case, "interfaze", "452.99", True, False, 0.5, 0, 0, 200, {})
    [row] = [r for r in summarize([refused, answered]) if r["category"] == "web"]
    assert row["errors"] == 1 and row["no_llm_share"] == 0.5 and row["no_llm_wrong"] == 0
