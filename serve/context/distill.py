"""The distilled context: what the LLM reads instead of the raw stage outputs.

Made of (``build_prompt`` cuts from the end when the budget is tight):

1. relations (source | subject | predicate | value) of the compressed observations that their
   excerpts no longer show, those sharing words with the question first;
2. entities (amounts, dates, identifiers, ...) of the compressed observations, same rule;
3. every observation, each as a block with its citation header: short ones, tables and charts
   whole; long text ones compressed to the few sentences that best match the question (BM25),
   or to a one-line stub when none does — unless the question asks for generation over the
   whole input (a summary), when they stay whole and the budget decides.

Blocks are then ordered by the share of the question's terms they contain (stable), so a tight
budget drops the least relevant ones. When the small stack had an answer it was not sure
enough of, that answer leads, marked unverified with its confidence and source.

Every fact keeps its source id, and the blocks are quoted data, never instructions.
"""

from __future__ import annotations

from dataclasses import dataclass

from serve.answer.passages import rank_sentences, split_sentences
from serve.answer.text import content_tokens
from serve.context.facts import Entity, Relation, entities_from, relations_from
from serve.context.observations import Observation
from serve.context.tokens import TokenCounter, approx_tokens

LONG_OBSERVATION_TOKENS = 160
EXCERPT_SENTENCES = 4
MIN_RELATIVE = 0.35  # sentences scoring under this share of the best one are not excerpted
MAX_RELATIONS = 80
MAX_ENTITIES = 60


@dataclass
class DistilledContext:
    """The context blocks and what distillation did, for the trace and the bench."""

    blocks: list[str]
    tokens_in: int
    tokens_out: int
    relations: int
    entities: int
    compressed: int

    def summary(self) -> dict[str, int]:
        return {
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "relations": self.relations,
            "entities": self.entities,
            "compressed_observations": self.compressed,
        }


def distill(
    question: str,
    observations: list[Observation],
    *,
    keep_full_text: bool = False,
    count: TokenCounter = approx_tokens,
    reading: dict | None = None,
) -> DistilledContext:
    """Build the context blocks for ``question`` from ``observations``; ``reading`` (the small
    stack's unsure answer: text, confidence, answerer, sources) leads them, marked unverified."""
    raw_blocks = [o.render() for o in observations]
    raw_tokens = [count(block) for block in raw_blocks]
    tokens_in = sum(raw_tokens)
    terms = set(content_tokens(question))

    compressed: list[Observation] = []
    evidence: list[str] = []
    for observation, raw, raw_count in zip(observations, raw_blocks, raw_tokens, strict=True):
        block = raw
        if (
            not keep_full_text
            and observation.kind in ("page", "text", "passage", "transcript")
            and raw_count > LONG_OBSERVATION_TOKENS
        ):
            excerpt = _excerpt(question, observation)
            if count(excerpt) < raw_count:
                block = excerpt
                compressed.append(observation)
        evidence.append(block)

    # Facts and entities stand in for what the excerpts cut: only compressed observations
    # contribute, and only what their excerpts no longer show (tables and charts stay whole).
    kept_text = "\n".join(evidence)
    relations = [r for o in compressed for r in relations_from(o) if r.value not in kept_text]
    relations.sort(key=lambda r: -len(terms & set(content_tokens(f"{r.subject} {r.predicate}"))))
    relations = relations[:MAX_RELATIONS]
    entities = [e for e in entities_from(compressed) if e.text not in kept_text][:MAX_ENTITIES]
    blocks: list[str] = []
    if relations:
        blocks.append(_render_relations(relations))
    if entities:
        blocks.append(_render_entities(entities))
    blocks += evidence
    # Most relevant first: the prompt budget cuts from the end.
    blocks.sort(key=lambda block: -_relevance(terms, block))
    if reading and reading.get("text"):
        blocks.insert(0, render_reading(reading))
    tokens_out = sum(count(block) for block in blocks)
    return DistilledContext(
        blocks, tokens_in, tokens_out, len(relations), len(entities), len(compressed)
    )


def render_reading(reading: dict) -> str:
    """The small stack's unsure answer as a block: a lead to check against the sources."""
    sources = ", ".join(reading.get("sources") or []) or "the inputs"
    return (  # the value first: a small LLM copies the words it reads first
        f"[{sources}] {reading['text']} (read by the {reading.get('answerer', 'small')} model, "
        f"unverified, confidence {float(reading.get('confidence', 0)):.2f})"
    )


def _relevance(terms: set[str], block: str) -> float:
    """Share of the question's content terms found in the block."""
    if not terms:
        return 0.0
    return len(terms & set(content_tokens(block))) / len(terms)


def _render_relations(relations: list[Relation]) -> str:
    lines = ["[facts | source | subject | predicate | value]"]
    lines += [relation.render() for relation in relations]
    return "\n".join(lines)


def _render_entities(entities: list[Entity]) -> str:
    by_type: dict[str, list[str]] = {}
    for entity in entities:
        by_type.setdefault(entity.type, []).append(f"{entity.text} ({', '.join(entity.sources)})")
    lines = ["[entities | type: value (sources)]"]
    lines += [f"{kind}: {'; '.join(values)}" for kind, values in by_type.items()]
    return "\n".join(lines)


def _excerpt(question: str, observation: Observation) -> str:
    """The observation's best-matching sentences in document order, under its header; a
    one-line stub when nothing in it matches the question."""
    ranked = rank_sentences(question, [observation])
    top = ranked[0][0] if ranked else 0.0
    chosen = {s for score, s, _ in ranked[:EXCERPT_SENTENCES] if score >= MIN_RELATIVE * top}
    ordered = [s for s in split_sentences(observation.text) if s in chosen]
    described = f"{observation.citation} | {observation.kind} via {observation.stage}, " + (
        f"confidence {observation.confidence:.2f}"
    )
    if not ordered:
        return f"[{described} | nothing in it matches the question; left out]"
    header = f"[{described} | excerpt: {len(ordered)} sentences matching the question]"
    return header + "\n" + "\n".join(ordered)
