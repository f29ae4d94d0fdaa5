import json

from loadtest.eval.calibration import curves, load_results, main, table, wilson_lower


def _report(tmp_path, rows):
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"thresholds": {"speech": 0.7}, "results": rows}))
    return path


def _row(category, confidence, correct, split="heldout", **extra):
    return {"category": category, "split": split, "confidence": confidence, "correct": correct,
            **extra}  # fmt: skip


def test_risk_coverage_points_and_choice(tmp_path):
    rows = [
        _row("speech", 0.95, True),
        _row("speech", 0.9, True),
        _row("speech", 0.9, True),
        _row("speech", 0.8, False),
        _row("speech", 0.6, True),
        _row("speech", 0.0, False),  # escalated without an answer: never covered
        _row("speech", 0.99, False, split="dev"),  # another split: ignored
        _row("speech", 0.99, False, model="baseline"),  # the bare LLM: ignored
    ]
    results = load_results(_report(tmp_path, rows), "heldout")
    (curve,) = curves(results)
    assert curve.n == 6
    assert [(p.threshold, p.answered, p.wrong) for p in curve.points] == [
        (0.95, 1, 0),
        (0.9, 3, 0),
        (0.8, 4, 1),
        (0.6, 5, 1),
    ]
    chosen = curve.choose(0.99)
    assert chosen.threshold == 0.9 and chosen.coverage == 0.5
    (row,) = table([curve], 0.99, {"speech": 0.7})
    assert row["current_wrong"] == 1 and row["current_coverage"] == round(4 / 6, 3)
    assert row["chosen_t"] == 0.9 and row["chosen_wilson95"] < 1.0


def test_wilson_lower_bound():
    assert wilson_lower(0, 0) == 0.0
    assert 0.9 < wilson_lower(100, 100) < 1.0
    assert wilson_lower(50, 100) < 0.5


def test_cli_prints_and_plots(tmp_path, capsys):
    path = _report(tmp_path, [_row("speech", 0.9, True), _row("calculation", 0.97, True)])
    png = tmp_path / "curve.png"
    assert main([str(path), "--png", str(png)]) == 0
    assert png.stat().st_size > 1000 and "chosen_t" in capsys.readouterr().out


def test_threshold_chosen_on_dev_is_read_on_heldout(tmp_path):
    rows = [
        _row("speech", 0.95, True, split="dev"),
        _row("speech", 0.8, True, split="dev"),
        _row("speech", 0.6, False, split="dev"),
        _row("speech", 0.95, True),
        _row("speech", 0.85, False),
        _row("speech", 0.8, True),
    ]
    path = _report(tmp_path, rows)
    tuned = {c.category: c for c in curves(load_results([path], "dev"))}
    (row,) = table(curves(load_results([path], "heldout")), 0.99, {}, tuned)
    # dev says 0.8 keeps every answer right; on held-out that threshold lets one wrong through
    assert row["chosen_t"] == 0.8
    assert row["chosen_coverage"] == 1.0 and row["chosen_accuracy"] == round(2 / 3, 3)


def test_small_answer_correctness_counts_for_escalated_cases(tmp_path):
    # run.py: an escalated case's `correct` is False (nothing given); its own answer was right
    rows = [_row("chart", 0.5, False, escalated=True, small_correct=True)]
    (curve,) = curves(load_results(_report(tmp_path, rows), "heldout"))
    assert curve.points[0].wrong == 0


def test_cli_merges_reports(tmp_path, capsys):
    first = tmp_path / "a.json"
    first.write_text(json.dumps({"thresholds": {"chart": 0.65},
                                 "results": [_row("chart", 0.9, True, split="dev"),
                                             _row("chart", 0.9, True)]}))  # fmt: skip
    second = _report(tmp_path, [_row("speech", 0.9, True, split="dev"), _row("speech", 0.8, True)])
    png = tmp_path / "curve.png"
    assert main([str(first), str(second), "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "chosen on 'dev'" in out and "chart" in out and "speech" in out
