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
    def __init__(self):
        self.calls = []

    @property
    def embed(self):
        handle = self

        class _Method:
            @staticmethod
            def remote(texts):
                handle.calls.append(texts)
                return _Response([[3.0, 4.0] for _ in texts])

        return _Method()


def test_rows_come_back_unit_normalised_in_one_call():
    handle = _Handle()
    rows = DeploymentEmbedder(handle).encode(["a", "b"])
    assert handle.calls == [["a", "b"]]
    assert rows.shape == (2, 2) and np.allclose(np.linalg.norm(rows, axis=1), 1.0)
    assert np.allclose(rows[0], [0.6, 0.8])
