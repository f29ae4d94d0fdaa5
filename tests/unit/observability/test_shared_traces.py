import asyncio

from serve.observability.traces import SharedTraceStore


class _Remote:
    """A Ray actor method stand-in: ``.remote()`` returns an awaitable."""

    def __init__(self, answers: list) -> None:
        self.answers, self.calls = answers, 0

    def remote(self, *_args):
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else None

        async def result():
            return answer

        return result()


class _Actor:
    def __init__(self, answers: list) -> None:
        self.get = _Remote(answers)


def _store(answers: list) -> SharedTraceStore:
    import threading

    store = object.__new__(SharedTraceStore)  # no Ray: the actor is a stand-in
    store._actor, store._pending, store._lock = _Actor(answers), [], threading.Lock()
    store.FLUSH_INTERVAL_S = 0.001
    return store


def test_a_trace_another_replica_has_not_flushed_yet_is_found_on_a_second_ask():
    store = _store([None, {"trace_id": "t1", "key_id": None}])
    assert asyncio.run(store.aget("t1")) == {"trace_id": "t1", "key_id": None}
    assert store._actor.get.calls == 2


def test_an_unknown_trace_is_a_miss_after_a_bounded_number_of_asks():
    store = _store([])
    assert asyncio.run(store.aget("nope")) is None
    assert store._actor.get.calls == SharedTraceStore.MISS_RETRIES + 1
