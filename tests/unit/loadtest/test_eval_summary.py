import json

from loadtest.eval.summary import load, main, markdown, rows


def _case(category, split, correct, escalated):
    return {"category": category, "split": split, "correct": correct, "escalated": escalated}


def _write(path, results):
    path.write_text(json.dumps({"results": results}))
    return path


def test_escalations_count_as_not_right_and_wrong_answers_are_counted(tmp_path):
    path = _write(
        tmp_path / "a.json",
        [
            _case("chart", "heldout", True, False),
            _case("chart", "heldout", False, False),  # answered wrongly without the LLM
            _case("chart", "heldout", True, True),  # right small answer, escalated: not given
            _case("chart", "heldout", False, True),
            {**_case("chart", "heldout", True, False), "model": "baseline"},  # ignored
        ],
    )
    (row,) = rows(load([path]))
    assert (row.n, row.accuracy, row.no_llm_share, row.no_llm_accuracy, row.no_llm_wrong) == (
        4, 0.25, 0.5, 0.5, 1,
    )  # fmt: skip
    assert "| chart | heldout | 4 | 25.0% | 50.0% | 50.0% (1 wrong) |" in markdown([row])


def test_a_later_report_replaces_the_same_category_and_split(tmp_path, capsys):
    first = _write(tmp_path / "a.json", [_case("speech", "dev", False, False)] * 3)
    second = _write(tmp_path / "b.json", [_case("speech", "dev", True, False)] * 2)
    (row,) = rows(load([first, second]))
    assert row.n == 2 and row.no_llm_accuracy == 1.0
    assert main([str(first), str(second)]) == 0
    assert "| speech | dev | 2 | 100.0% | 100.0% | 100.0% |" in capsys.readouterr().out
