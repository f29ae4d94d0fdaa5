"""Expected answer types: what kind of value a question asks for, and whether a candidate is one.

``expected_type(question)`` reads the wh-word and the head noun of the question ("which
*company* issued ..." → organisation, "how many ..." → quantity, "what is the invoice
*number*" → identifier); when they do not decide, a nearest-neighbour vote over MiniLM
embeddings of a labelled set (``data/answer_types.jsonl``) does, if an encoder is given and the
vote is clear; otherwise the type is free text (anything matches).

``answer_type_matches(expected, text)`` types a candidate: a short value must *be* of the type
(``2024-03-05`` is not an organisation, ``25.80 1.55`` is not one amount, ``$12.50`` is not a
count); a sentence must *contain* one. Answerers whose candidate fails are not confident.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import numpy as np

from serve.answer.text import normalize

DATA = Path(__file__).parent / "data" / "answer_types.jsonl"


class AnswerType(StrEnum):
    ORGANISATION = "organisation"
    PERSON = "person"
    PLACE = "place"
    DATE = "date"
    TIME = "time"
    AMOUNT = "amount"  # money, or a measured value read off a document or chart
    QUANTITY = "quantity"  # a count or measure; never a price
    IDENTIFIER = "identifier"  # invoice/order/account numbers, codes, phone numbers
    YES_NO = "yes_no"
    FREE_TEXT = "free_text"


NAME_TYPES = frozenset({AnswerType.ORGANISATION, AnswerType.PERSON, AnswerType.PLACE})
NUMBER_TYPES = frozenset({AnswerType.AMOUNT, AnswerType.QUANTITY})

# ----------------------------------------------------------------------------- question cues

# Head nouns (and a few verbs) → the type of value they ask for.
_LEXICON: dict[AnswerType, tuple[str, ...]] = {
    AnswerType.ORGANISATION: (
        "company companies supplier suppliers vendor vendors seller sellers merchant merchants shop"
        " shops store stores business businesses firm firms organisation organization issuer"
        " retailer retailers restaurant restaurants cafe bakery pharmacy supermarket hotel agency"
        " corporation enterprise manufacturer brand distributor contractor provider carrier outlet"
        " bank insurer airline publisher employer buyer buyers customer customers client clients"
        " purchaser payee payer consignee recipient biller outlet chain"
    ).split(),
    AnswerType.PERSON: (
        "person people cashier manager contact caller speaker author signatory employee driver"
        " representative salesperson doctor patient sender attendee owner officer agent"
    ).split(),
    AnswerType.PLACE: (
        "city town country address location place state region street destination origin venue"
        " port airport branch village county province capital continent"
    ).split(),
    AnswerType.DATE: ("date dates day deadline year month weekday birthday anniversary").split(),
    AnswerType.TIME: ("time hour clock").split(),
    AnswerType.AMOUNT: (
        "total subtotal amount price prices cost costs tax vat gst fee fees balance charge charges"
        " payment paid sum change discount rounding tip salary revenue profit spend spent owed"
        " owe worth value values deposit income expense expenses budget"
    ).split(),
    AnswerType.QUANTITY: (
        "quantity quantities qty units unit count pieces pcs items percentage percent share rate"
        " weight length distance duration age height size volume temperature population"
    ).split(),
    AnswerType.IDENTIFIER: (
        "id identifier reference ref code no iban swift sku serial tracking registration phone"
        " telephone fax zip postcode postal account invoice# receipt# barcode license licence"
        " plate"
    ).split(),
}
_WORD_TYPE = {word: kind for kind, words in _LEXICON.items() for word in words}
# "What is the name of the shop": the head is found in what the name is of.
_OPAQUE_HEADS = frozenset({"name", "names", "title", "one", "kind", "type", "part", "entity"})
# Verbs that make "who" an issuer or a customer rather than a person in general.
_ISSUER_VERBS = re.compile(
    r"\bwho (?:\w+ ){0,2}?(issued|sold|supplied|sent|billed|invoiced|delivered|shipped|"
    r"provided|made|charged|wrote out|is (?:the )?(?:invoice|receipt|bill) from)\b"
)
_POLITE = re.compile(
    r"^(?:(?:please|kindly|hey|hi|ok|so)[, ]+)*"
    r"(?:(?:can|could|would|will) you (?:please )?(?:tell|show|give|find|read|let)(?: me| us)?"
    r"(?: know)?|(?:please )?(?:tell|show|give|find|read|extract|return|state|provide|report)"
    r"(?: me| us)?|do you know|i (?:need|want|would like|'d like) to know|i need"
    r"|let me know|what i need is)\b[ ,:]*"
)
_AUX = re.compile(
    r"^(is|are|was|were|does|do|did|has|have|had|can|could|will|would|should|shall|may|must|"
    r"isn't|aren't|wasn't|weren't|doesn't|don't|didn't|hasn't|haven't)\b"
)
_NP_STOP = frozenset(
    """of on in for from to at by with does did do is was are were has have had will would should
    can could that which who according listed shown stated printed written mentioned appear
    appears appearing this these those it its as than per under over into after before""".split()
)
# "What does the order come to?", "what did it amount to": a sum of money.
_COMES_TO = re.compile(
    r"\b(?:come|comes|came|amount|amounts|amounted|add|adds|added) (?:up )?to"
    r"(?: in total| altogether| overall)?\W*$"
)
_MONEY_VERBS = frozenset("pay paid pays cost costs charge charged spend spent owe owed".split())
# Imperatives whose answer is prose, whatever they mention ("explain the charges").
_OPEN_VERBS = frozenset(
    """describe explain summarise summarize list compare outline discuss why translate write
    draft rewrite paraphrase""".split()
)
# Words after "which" that end the noun phrase although not listed as stops.
_VERB_LIKE = frozenset("issued sold supplied sent billed made shipped ordered printed".split())


def _verb_like(word: str) -> bool:
    """A verb ends the noun phrase: listed, or a past form no noun list knows ("provided")."""
    return word in _VERB_LIKE or (len(word) > 4 and word.endswith("ed") and word not in _WORD_TYPE)


_COUNT_WORDS = frozenset("total overall whole exact full same".split())
_DETERMINERS = frozenset("the a an this that these those its their his her our my your".split())
_COORDINATORS = frozenset({"or", "and"})


@dataclass(frozen=True)
class TypeGuess:
    """A predicted type, how it was found, and whether the cue alone decides it."""

    type: AnswerType
    cue: str
    decisive: bool


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9#]+(?:-[a-z0-9]+)*(?:['’][a-z]+)?", text)


# Words inside a noun phrase that do not name what is asked ("total amount *due*").
_MODIFIERS = frozenset(
    """due payable outstanding overall final grand net gross exact full whole only here there s
    called named listed shown stated printed mentioned written recorded given current""".split()
)


def _head_type(phrase: list[str]) -> tuple[AnswerType | None, str]:
    """The type of a noun phrase: its rightmost known noun, with compounds ("invoice number",
    "number of units", "company name", "name of the shop") resolved. An unknown noun after
    the known one ("payment *terms*") is the real head: unknown (None)."""
    words = [w.removesuffix("'s").removesuffix("’s") for w in phrase]
    if "number" in words or "numbers" in words or "no" in words:
        index = max(i for i, w in enumerate(words) if w in ("number", "numbers", "no"))
        after = words[index + 1 : index + 2]
        if index > 0 and words[index - 1] not in _DETERMINERS | _COUNT_WORDS:
            return AnswerType.IDENTIFIER, f"{words[index - 1]} number"  # "phone number (of)"
        if after == ["of"] and words[index] != "no":
            return AnswerType.QUANTITY, "number of"
        if index == 0 or words[index - 1] in _DETERMINERS:
            words = words[:index]  # "the number" alone says nothing yet
    found: tuple[AnswerType | None, str] = (None, "")
    for word in words:
        if word in _NP_STOP:
            if word == "of" and found[0] is None:
                continue  # "name of the shop", "date of issue": keep reading
            break
        kind = _WORD_TYPE.get(word)
        if word in _OPAQUE_HEADS or word in _DETERMINERS or word in _MODIFIERS:
            continue
        if kind is not None:
            found = (kind, word)  # the rightmost known noun is the head
        elif found[0] is not None and not (word.endswith("ed") or re.search(r"\d|'", word)):
            found = (None, word)
    return found


def _noun_phrase(words: list[str]) -> list[str]:
    out = []
    for word in words:
        if word in _NP_STOP and word != "of":
            break
        out.append(word)
    return out


def _first_noun_type(words: list[str]) -> tuple[AnswerType | None, str]:
    """After "which"/"what": the class named right there ("which (local) shop ...",
    "which delivery note number ...", "which purchase order or invoice number ...": each
    alternative joined by "or"/"and" widens the window by the two words it takes)."""
    phrase = _noun_phrase(words)
    width = 4 + 2 * sum(w in _COORDINATORS for w in phrase[:4])
    phrase = phrase[:width]
    for index, word in enumerate(phrase):
        numbered = index > 0 and phrase[index + 1 : index + 2] != ["of"]
        if word in ("number", "no", "numbers") and numbered:
            return AnswerType.IDENTIFIER, f"{phrase[index - 1]} number"
        if index == 0 and word == "number" and phrase[1:2] != ["of"] and len(phrase) == 1:
            return AnswerType.IDENTIFIER, "number"  # "what number does it have", not "number of"
    kind, cue = _head_type(phrase)
    head = cue.split()[0] if cue else ""  # "number of": the phrase holds "number"
    before = phrase[: phrase.index(head)] if head in phrase else phrase
    if kind is not None and not any(_verb_like(w) for w in before):
        return kind, cue
    for position, word in enumerate(words[:2]):
        word = word.removesuffix("'s")
        if word in _NP_STOP:
            break
        if word in _WORD_TYPE and word not in _OPAQUE_HEADS:
            following = words[position + 1 : position + 2]
            if following and following[0] in _WORD_TYPE and following[0] not in _OPAQUE_HEADS:
                return _WORD_TYPE[following[0]], f"{word} {following[0]}"  # "shop address"
            if following in (["number"], ["no"]):
                return AnswerType.IDENTIFIER, f"{word} number"
            return _WORD_TYPE[word], word
    return None, ""


def type_cues(question: str) -> TypeGuess:
    """The type implied by the question's wording (wh-word, head noun); free text if none."""
    text = normalize(question).replace("’", "'")
    text = re.sub(r"^\W+", "", text)
    text = _POLITE.sub("", text).strip()
    words = _words(text)
    if not words:
        return TypeGuess(AnswerType.FREE_TEXT, "empty", False)
    if words[0] in _OPEN_VERBS:
        return TypeGuess(AnswerType.FREE_TEXT, words[0], True)
    joined = " ".join(words)
    if re.match(r"how many\b", joined) or re.search(r"\bhow many\b", joined):
        return TypeGuess(AnswerType.QUANTITY, "how many", True)
    match = re.search(r"\bhow much\b(?: (\w+))?", joined)
    if match:
        following = match.group(1) or ""
        if following in ("time", "weight", "space", "memory", "data", "water", "fuel"):
            return TypeGuess(AnswerType.QUANTITY, f"how much {following}", True)
        return TypeGuess(AnswerType.AMOUNT, "how much", True)
    if re.search(r"\bhow (long|far|old|tall|big|heavy|large|often|wide|deep|high)\b", joined):
        return TypeGuess(AnswerType.QUANTITY, "how " + joined.split("how ", 1)[1].split()[0], True)
    if re.search(r"\b(what|which) time\b|\bat what hour\b", joined):
        return TypeGuess(AnswerType.TIME, "what time", True)
    if re.search(r"\b(what|which) (year|month|day|date|weekday)\b", joined):
        return TypeGuess(AnswerType.DATE, "what date", True)
    if re.search(r"\b(?:due|payable|pay|paid|deliver(?:ed)?|ship(?:ped)?) by$|\bby when\b", joined):
        return TypeGuess(AnswerType.DATE, "… by when", True)  # "Payment due by?"
    if _AUX.match(joined) and not re.search(r"\b(or|either)\b", joined):
        return TypeGuess(AnswerType.YES_NO, "auxiliary first", True)
    wh = re.search(r"\b(who|whom|whose|where|when|what|which)\b", joined)
    if wh is None:  # "Total due?", "invoice date please": the whole text is the phrase
        kind, cue = _head_type(_noun_phrase(words))
        if kind is not None:
            return TypeGuess(kind, cue, True)
        return TypeGuess(AnswerType.FREE_TEXT, "no cue", False)
    word = wh.group(1)
    after = _words(joined[wh.end() :])
    if word == "when":
        return TypeGuess(AnswerType.DATE, "when", True)
    if word == "where":
        if after and after[0] in ("is", "was", "are") and "from" in after:
            return TypeGuess(AnswerType.PLACE, "where from", True)
        return TypeGuess(AnswerType.PLACE, "where", True)
    if word in ("who", "whom", "whose"):
        if after[:1] in (["is"], ["was"]):
            after = after[1:]
        kind, cue = _head_type(
            _noun_phrase(after if after[:1] and after[0] in _DETERMINERS else [])
        )
        if kind in NAME_TYPES:
            return TypeGuess(kind, f"who … {cue}", True)
        if _ISSUER_VERBS.search(joined) or re.search(r"\bwho\b.*\b(billed|invoiced) to\b", joined):
            return TypeGuess(AnswerType.ORGANISATION, "who + issuer verb", True)
        return TypeGuess(AnswerType.PERSON, word, True)
    # what / which: the noun right after it, else the phrase after "is/was the".
    if after and after[0] in ("did", "does", "do", "will", "would", "should"):
        # "what did the customer pay": the subject is not the answer; the verb may say it.
        if any(t in _MONEY_VERBS for t in after) or _COMES_TO.search(joined):
            return TypeGuess(AnswerType.AMOUNT, "money verb", True)
        return TypeGuess(AnswerType.FREE_TEXT, f"{word} {after[0]} …", False)
    if after and after[0] in ("is", "was", "are", "were", "s", "'s"):
        phrase = after[1:]
    elif after and after[0] in _DETERMINERS:
        phrase = after
    else:
        kind, cue = _first_noun_type(after)
        if kind is not None:
            return TypeGuess(kind, f"{word} {cue}", True)
        if word == "which" and after and after[0] not in _NP_STOP:
            # "which product has the highest price": an instance of an unknown class (a label)
            return TypeGuess(AnswerType.FREE_TEXT, f"which {after[0]}", True)
        phrase = []
    kind, cue = _head_type(_noun_phrase(phrase))
    if kind is not None:
        return TypeGuess(kind, f"{word} … {cue}", True)
    if any(t in _MONEY_VERBS for t in after):  # "what was paid", "what was charged"
        return TypeGuess(AnswerType.AMOUNT, "money verb", False)
    return TypeGuess(AnswerType.FREE_TEXT, f"{word} without a known head", False)


# ----------------------------------------------------------------------------- embeddings


class TypeEmbedder:
    """k-nearest-neighbour vote over sentence embeddings of labelled questions.

    ``encoder`` is any object with ``encode(list[str]) -> unit-normalised rows`` (MiniLM in the
    router). ``predict`` answers only when the winning type holds ``min_share`` of the weighted
    vote and its best neighbour is at least ``min_similarity`` close.
    """

    def __init__(
        self,
        encoder,
        *,
        k: int = 7,
        min_share: float = 0.6,
        min_similarity: float = 0.45,
        path: Path | None = None,
    ) -> None:
        self.encoder = encoder
        self.k, self.min_share, self.min_similarity = k, min_share, min_similarity
        examples = load_examples(path or DATA)
        self.labels = [AnswerType(e["label"]) for e in examples]
        self.vectors = np.asarray(encoder.encode([e["text"] for e in examples]), dtype=np.float32)
        self._cache: dict[str, AnswerType | None] = {}

    def vote(self, question: str) -> tuple[AnswerType, float, float]:
        """(best type, its share of the similarity-weighted vote, best similarity)."""
        vector = np.asarray(self.encoder.encode([question]), dtype=np.float32)[0]
        sims = self.vectors @ vector
        top = np.argsort(-sims)[: self.k]
        weights: Counter[AnswerType] = Counter()
        for index in top:
            weights[self.labels[index]] += max(float(sims[index]), 0.0)
        total = sum(weights.values()) or 1.0
        best, weight = weights.most_common(1)[0]
        return best, weight / total, float(sims[top[0]])

    def predict(self, question: str) -> AnswerType | None:
        key = normalize(question)
        if key not in self._cache:
            best, share, similarity = self.vote(question)
            ok = share >= self.min_share and similarity >= self.min_similarity
            self._cache[key] = best if ok else None
            if len(self._cache) > 4096:
                self._cache.pop(next(iter(self._cache)))
        return self._cache[key]


def load_examples(path: Path = DATA) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def predict_type(question: str, embedder: TypeEmbedder | None = None) -> TypeGuess:
    """Decisive cues first; then the embedding vote; then a weak cue; else free text."""
    guess = type_cues(question)
    if guess.decisive:
        return guess
    if embedder is not None:
        voted = embedder.predict(question)
        if voted is not None:
            return TypeGuess(voted, "embedding vote", False)
    return guess


@lru_cache(maxsize=4096)
def _cached_cues(question: str) -> AnswerType:
    return predict_type(question).type


def expected_type(question: str, embedder: TypeEmbedder | None = None) -> AnswerType:
    """The type of value ``question`` asks for (see :func:`predict_type`)."""
    if embedder is None:
        return _cached_cues(question)
    return predict_type(question, embedder).type


# ----------------------------------------------------------------------------- the checker

_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_WEEKDAY = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_NUMERIC_DATE = re.compile(
    r"(?<![\w-])(?:(\d{4})([-/.])(\d{1,2})\2(\d{1,2})|(\d{1,2})([-/.])(\d{1,2})\6(\d{2}|\d{4}))"
    r"(?![\w-])"
)
_WORD_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?[ -](?:of )?(?:{_MONTH})\.?,?(?:[ -]\d{{2,4}})?"
    rf"|(?:{_MONTH})\.?[ -]\d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?|(?:{_MONTH})\.? \d{{4}})\b"
)
_MONTH_ALONE = re.compile(
    r"\b(?:january|february|march|april|june|july|august|september|october|november|december)\b"
)
_DAY_WORD = re.compile(rf"\b(?:{_WEEKDAY}|today|tomorrow|yesterday|tonight)\b")
_YEAR = re.compile(r"(?<![\w.,/-])(?:1[89]|20)\d{2}(?![\w.,/-])")
_TIME = re.compile(
    r"(?<![\w:.])(?:[01]?\d|2[0-3])"
    r"(?:[:h][0-5]\d(?::[0-5]\d)?(?: ?[ap]\.?m\.?)?|\.[0-5]\d ?[ap]\.?m\.?)(?![\w:])"
    r"|(?<![\w.])(?:1[0-2]|0?[1-9])(?: ?[ap]\.?m\.?)(?!\w)|\b(?:noon|midnight|o'clock)\b"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?: thirty| fifteen"
    r"| forty[- ]five)? ?(?:[ap]\.?m\.?|o'clock)(?!\w)"
)
_CURRENCY = re.compile(
    r"[$€£¥₹]|\b(?:usd|eur|gbp|rm|myr|sgd|aud|cad|chf|jpy|inr|idr|rp|dollars?|euros?|pounds?"
    r"|cents?)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?<![\w.,])[-+]?(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+(?=[.,]\d|\b)|\d+)(?:[.,]\d+)?%?"
    r"(?![\w]|[.,]\d)"
)
_NUMBER_WORD = re.compile(
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand|million|billion|dozen|half)\b"
)
_ID_TOKEN = re.compile(
    r"(?<![\w])(?=[\w#/-]*\d)[a-z0-9#][\w#/-]*[a-z0-9](?![\w])|(?<![\w])[a-z]{2,}-[a-z0-9]{2,}(?![\w])"
)
_YES_NO = re.compile(r"^\W*(yes|no|true|false|correct|incorrect|y|n)\b")
# Document vocabulary: a value made only of these is a label, not a name.
LABEL_WORDS = frozenset(
    """invoice invoices receipt receipts tax total subtotal sub amount amounts due date dates
    balance bill billed statement order purchase quantity qty price unit units description item
    items no number page of cash change paid payment vat gst discount rounding net gross tel
    phone fax email www http https com net org address customer account copy original official
    thank thanks you your for the and to from by at item(s) summary details reference terms
    delivery shipping ship sold issued issue remarks notes note sales sale doc document
    cashier table pax member points rm usd eur gbp sgd myr po ref""".split()
)
_NAME_TOKEN = re.compile(r"[a-z][a-z'’&.-]*[a-z]|[a-z]&[a-z]")
_AMOUNT_WORDS = frozenset(
    """thousand million billion trillion k m bn mn per cent percent only approx approximately
    about incl excl including excluding inc tax vat gst net gross total due paid each unit
    """.split()
)
SENTENCE_WORDS = 7  # a candidate this long is a sentence: it must contain the type
_GLUED_CURRENCY = re.compile(r"\b(rm|usd|eur|gbp|sgd|myr|aud|cad|inr|rp)(?=\d)")
SENTENCE_VOCABULARY = frozenset(
    """please thank thanks you your we our us i my me is are was were will would be been
    this that these keep visit again come welcome have has not do does did can""".split()
)
MAX_NAME_WORDS = 8  # longer candidates are not a name, an organisation or a place


def _numbers(text: str) -> list[str]:
    spans = [m.group(0) for m in _NUMBER.finditer(text)]
    return spans + [m.group(0) for m in _NUMBER_WORD.finditer(text)]


def _has_date(text: str) -> bool:
    for match in _NUMERIC_DATE.finditer(text):
        groups = match.groups()
        if groups[0]:
            month, day = int(groups[2]), int(groups[3])
        else:
            first, second = int(groups[4]), int(groups[6])
            month, day = (first, second) if first <= 12 else (second, first)
        if 1 <= month <= 12 and 1 <= day <= 31:
            return True
    return bool(
        _WORD_DATE.search(text) or _DAY_WORD.search(text) or _MONTH_ALONE.search(text)
        or _YEAR.search(text)
    )  # fmt: skip


def _strip_dates_times(text: str) -> str:
    for pattern in (_NUMERIC_DATE, _WORD_DATE, _TIME):
        text = pattern.sub(" ", text)
    return text


def _name_tokens(text: str) -> list[str]:
    cleaned = _strip_dates_times(text)
    cleaned = _CURRENCY.sub(" ", cleaned)
    tokens = _NAME_TOKEN.findall(cleaned)
    return [
        t
        for t in tokens
        if t.strip(".'’-&") not in LABEL_WORDS
        and not _MONTH_ALONE.fullmatch(t)
        and not _DAY_WORD.fullmatch(t)
        and len(t.strip(".'’-")) >= 2
    ]


def _is_money_like(number: str) -> bool:
    """Two decimals with a non-zero fraction (12.50): a price, not a count."""
    match = re.fullmatch(r"[-+]?[\d, ]+[.,](\d\d)", number)
    return bool(match) and match.group(1) != "00"


def _one_value(text: str) -> str | None:
    """The single number a short value holds (repeats of one value allowed), else None."""
    numbers = {re.sub(r"[, ]", "", n.rstrip("%")) for n in _numbers(text)}
    if len(numbers) != 1:
        return None
    return _numbers(text)[0]


def _labelled_values(text: str, expected: AnswerType) -> bool:
    """Several values, each with its label ("Plan: 20; Actual: 40"): one per labelled part."""
    parts = [p for p in re.split(r"[;\n]|, (?=[a-z])", text) if p.strip()]
    if len(parts) < 2:
        return False
    for part in parts:
        label, _, value = part.rpartition(":")
        if not label.strip() or not _name_tokens(label) or _one_value(value) is None:
            return False
        if expected is AnswerType.QUANTITY and _CURRENCY.search(value):
            return False
    return True


def candidate_types(text: str) -> set[AnswerType]:
    """Every type a candidate answer can be read as (free text always)."""
    low = normalize(text).replace("’", "'")
    found = {AnswerType.FREE_TEXT}
    for kind in AnswerType:
        if kind is not AnswerType.FREE_TEXT and answer_type_matches(kind, low):
            found.add(kind)
    return found


def answer_type_matches(expected: AnswerType, text: str) -> bool:
    """Whether ``text`` is (a short value) or contains (a sentence) a value of ``expected``."""
    low = normalize(text).replace("’", "'")
    if not low:
        return False
    if expected is AnswerType.FREE_TEXT:
        return True
    low = _GLUED_CURRENCY.sub(r"\1 ", low)  # "rm1.38" → "rm 1.38"
    if expected is AnswerType.YES_NO:
        return bool(_YES_NO.match(low))
    sentence = len(low.split()) >= SENTENCE_WORDS
    has_date, has_time = _has_date(low), bool(_TIME.search(low))
    rest = _strip_dates_times(low)
    if expected is AnswerType.DATE:
        return has_date
    if expected is AnswerType.TIME:
        return has_time
    if expected in NAME_TYPES:
        names = _name_tokens(low)
        if len(low.split()) > MAX_NAME_WORDS:  # a sentence is not a name
            return False
        if sum(w in SENTENCE_VOCABULARY for w in re.findall(r"[a-z']+", low)) >= 2:
            return False  # "please keep this receipt": words of a sentence, not of a name
        if sentence:
            return bool(names)
        if not names or re.search(r"[a-z]\s*:(?:\s|$)", low):
            return False  # "Client: Invoice: 2022/424": labels, not a name
        if expected is AnswerType.PLACE:
            return not (_CURRENCY.search(rest) and _numbers(rest))
        # A name is not a date, a sum or a code with a word stuck on.
        if (
            re.search(r"(?=\w*[a-z])(?=\w*\d\w*\d\w*\d)\w+", rest)
            and expected is not AnswerType.PLACE
        ):
            return False  # "PO737257": an identifier
        alnum = re.sub(r"[^a-z0-9]", "", rest)
        letters = sum(c.isalpha() for c in alnum)
        if has_date and len(names) < 2:
            return False
        if _CURRENCY.search(rest) and _numbers(rest):
            return False
        return letters >= 0.5 * len(alnum)
    if expected is AnswerType.IDENTIFIER:
        ids = _ID_TOKEN.findall(low)
        if sentence:
            return bool(ids)
        if not ids:
            return False
        whole_date = _NUMERIC_DATE.fullmatch(low.strip(" .,:;")) and has_date
        money = _CURRENCY.search(low) and not re.search(r"[a-z]{2,}\d|\d[a-z]{2,}|#", low)
        decimal = re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})*(?:\.\d+)|[-+]?\d+[.,]\d\d", low.strip())
        return not (whole_date or money or decimal)
    # Amounts and quantities: one number (not a date, not part of a code).
    numeric_text = _strip_dates_times(low) if not sentence else rest
    numbers = _numbers(numeric_text)
    if sentence:  # one value, not a row of figures ("12 Printer toner 127.85 1,534.20")
        return len({re.sub(r"[, ]", "", n.rstrip("%")) for n in numbers}) == 1
    value = _one_value(numeric_text)
    if value is None:
        return _labelled_values(numeric_text, expected)
    if re.search(r"[a-z]{2,}-?\d|\d-\d|#", numeric_text):  # INV-0042, 2024-001: codes
        return False
    words = [w for w in _name_tokens(numeric_text) if not _CURRENCY.fullmatch(w)]
    if len(words) > 3:  # a label or a name with a number in it, not a value
        return False
    if expected is AnswerType.QUANTITY:
        if _CURRENCY.search(numeric_text):
            return False
        return not (_is_money_like(value) and not words)
    # An amount's words say its scale or what it is; others ("576 Harbor Road") make it a name.
    return all(w in _AMOUNT_WORDS for w in words)
