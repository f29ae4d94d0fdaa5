"""The embedding vote on a question's answer type runs once per question."""

from serve.answer.controller import SmallStack


class CountingEncoder:
    def __init__(self):
        self.calls = 0

    def encode(self, texts):
        import numpy as np

        self.calls += 1
        rows = np.zeros((len(texts), 4), dtype=np.float32)
        rows[:, 0] = 1.0
        return rows


def test_the_type_vote_is_cached_per_question():
    stack = SmallStack()
    encoder = CountingEncoder()
    from serve.answer.types import TypeEmbedder

    stack.type_embedder = TypeEmbedder(encoder)
    built = encoder.calls
    question = "Tell me about the shipment mentioned here"
    first = stack.expected_type(question)
    after_first = encoder.calls
    assert stack.expected_type(question) == first
    assert stack.expected_type(question.upper()) == first  # normalised key
    assert after_first - built == 1  # not decided by cues: the vote ran once
    assert encoder.calls == after_first
