"""The router's embeddings through the embed deployment's handle."""

import numpy as np

from serve.stages.embedder import DeploymentEmbedder


class _Response:
    def __init__(self, rows):
        self.rows = rows
        self.timeout = None

    def result(self, timeout_s=None):
        self.timeout = timeout_s
        return self.rows


class _Handle:
    """``embed.remote(texts)`` answers ``respond(rows)``, one row ``row`` per text."""

    def __init__(self, respond=None, row=(3.0, 4.0)):
        self.calls = []
        self.respond = respond or _Response
        self.row = list(row)

    @property
    def embed(self):
        handle = self

        class _Method:
            @staticmethod
            def remote(texts):
                handle.calls.append(texts)
                return handle.respond([handle.row for _ in texts])

        return _Method()


def test_rows_come_back_unit_normalised_in_one_call():
    handle = _Handle()
    rows = DeploymentEmbedder(handle).encode(["a", "b"])
    assert handle.calls == [["a", "b"]]
    assert rows.shape == (2, 2) and np.allclose(np.linalg.norm(rows, axis=1), 1.0)
    assert np.allclose(rows[0], [0.6, 0.8])


class _AwaitableResponse:
    """A handle response that may only be awaited on the loop it was made on."""

    def __init__(self, rows):
        import asyncio

        self.rows = rows
        self.loop = asyncio.get_running_loop()  # raises off the loop, as Serve's same-loop mode

    def __await__(self):
        async def rows():
            return self.rows

        return rows().__await__()


def test_built_on_a_loop_the_call_runs_on_that_loop_from_a_worker_thread():
    import asyncio

    async def main():
        handle = _Handle(_AwaitableResponse, row=(0.0, 2.0))
        embedder = DeploymentEmbedder(handle)  # built on the loop, as in the replica's __init__
        assert embedder.loop is asyncio.get_running_loop()
        rows = await asyncio.to_thread(embedder.encode, ["x"])
        return handle.calls, rows

    calls, rows = asyncio.run(main())
    assert calls == [["x"]] and np.allclose(rows, [[0.0, 1.0]])


def test_encode_on_the_loop_itself_is_refused_instead_of_deadlocking():
    import asyncio

    import pytest

    async def main():
        embedder = DeploymentEmbedder(_Handle(_AwaitableResponse))
        with pytest.raises(RuntimeError, match="worker thread"):
            embedder.encode(["x"])

    asyncio.run(main())
