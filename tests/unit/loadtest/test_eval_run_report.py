from loadtest.eval.run import _outcome_only


def test_a_held_out_report_keeps_outcomes_not_cases():
    record = {"id": "x-heldout-1", "category": "invoice_scan", "split": "heldout",
              "question": "Who issued it?", "answer": "ACME", "expected": ["ACME Ltd"],
              "small_answer": "ACME", "candidates": [{"text": "ACME"}], "correct": False,
              "escalated": False, "confidence": 0.9, "threshold": 0.7}  # fmt: skip
    kept = _outcome_only(record)
    assert kept["correct"] is False and kept["confidence"] == 0.9 and kept["threshold"] == 0.7
    assert not {"question", "answer", "expected", "small_answer", "candidates"} & set(kept)
