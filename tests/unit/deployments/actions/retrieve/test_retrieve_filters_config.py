"""Filter expressions and retrieve settings (no Milvus)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from deployments.actions.retrieve import filters as flt
from deployments.actions.retrieve.config import RetrieveSettings
from deployments.common.errors import MalformedInput


def test_filters_build_safe_expressions() -> None:
    expr = flt.build_filter(
        {
            "source": 'a"b\\c',
            "page": {"gte": 2, "lt": 5},
            "fetched_after": "2026-01-01T00:00:00Z",
            "mime": ["text/html", "application/pdf"],
        }
    )
    assert '(source == "a\\"b\\\\c")' in expr
    assert "(page >= 2 and page < 5)" in expr
    assert "(fetched_at >= 1767225600)" in expr
    assert 'mime in ["text/html", "application/pdf"]' in expr
    assert flt.build_filter({"page": [1, 3]}) == "(page in [1, 3])"
    assert flt.build_filter(None) == ""


@pytest.mark.parametrize(
    "filters",
    [
        {"nope": 1},
        {"source": "line\nbreak"},  # control characters would crash Milvus Lite's parser
        {"page": "1"},
        {"page": {"between": 1}},
        {"fetched_after": "yesterday"},
        {"source_prefix": "50%"},
        {"source": []},
        "source",
    ],
)
def test_bad_filters_are_rejected(filters) -> None:
    with pytest.raises(MalformedInput):
        flt.build_filter(filters)


def test_source_prefix_is_narrowed_exactly() -> None:
    assert flt.build_filter({"source_prefix": "http://a/b_"}) == '(source like "http://a/b_%")'
    assert flt.matches_prefix({"source_prefix": "http://a/b_"}, "http://a/b_c")
    assert not flt.matches_prefix({"source_prefix": "http://a/b_"}, "http://a/bxc")


def test_visibility_hides_unfinished_and_expired() -> None:
    clause = flt.visibility_clause(100, {"d2", "d1"})
    assert clause == '(expires_at == 0 or expires_at > 100) and (doc_id not in ["d1", "d2"])'


def test_lite_file_needs_one_replica_and_a_lite_index() -> None:
    with pytest.raises(ValidationError, match="one replica"):
        RetrieveSettings(autoscaling_config={"max_replicas": 2})
    with pytest.raises(ValidationError, match="needs a Milvus server"):
        RetrieveSettings(index_type="HNSW")
    with pytest.raises(ValidationError, match=r"must end in \.db"):
        RetrieveSettings(uri="index.sqlite")
    server = RetrieveSettings(
        uri="http://milvus:19530", index_type="HNSW", autoscaling_config={"max_replicas": 4}
    )
    assert server.index_params() == {"M": 16, "efConstruction": 200}
    assert server.search_params() == {"ef": 64}
    assert server.resolved_uri("/data") == "http://milvus:19530"


def test_uri_resolves_against_data_dir_and_params_are_explicit(tmp_path) -> None:
    settings = RetrieveSettings()
    assert settings.resolved_uri(tmp_path) == str(tmp_path / "index.db")
    assert settings.index_type == "FLAT" and settings.index_params() == {}
    ivf = RetrieveSettings(index_type="IVF_FLAT", nlist=512, nprobe=700)
    assert ivf.index_params() == {"nlist": 512}
    assert ivf.search_params() == {"nprobe": 512}  # never more than nlist
    for name, field in RetrieveSettings.model_fields.items():
        assert field.description, name


def test_builder_resolves_uri(tmp_path) -> None:
    from deployments.actions.retrieve.builder import build_retrieve_deployment

    app = build_retrieve_deployment(RetrieveSettings(), tmp_path, embed_app=None)
    deployment = app._bound_deployment
    assert deployment.name == "retrieve"
    assert deployment.init_args[0]["uri"] == str(tmp_path / "index.db")
    assert RetrieveSettings.model_validate(deployment.init_args[0]).uri.endswith("index.db")
