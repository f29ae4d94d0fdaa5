"""The stage registry: the one catalogue of deployments the router composes.

Adding a stage means one deployment folder under ``deployments/``, one adapter under
``serve/stages/adapters/`` and one row here; the app builder, the routing-table validation,
the stage clients, the runner, the gateway's tool list and the health report all read it.
"""

from __future__ import annotations

from serve.stages.adapters import asr, browse, chart, execute, ocr, retrieve
from serve.stages.services import build_embed, build_index
from serve.stages.spec import InputKind, StageKind, StageSpec

P, A, S = StageKind.PERCEPTION, StageKind.ACTION, StageKind.SERVICE

REGISTRY: tuple[StageSpec, ...] = (
    # name       kind  method        settings             adapter
    StageSpec("ocr", P, "process", "perception.ocr", ocr.OcrAdapter, ocr.build,
              describe=True, reads=(InputKind.PDF, InputKind.IMAGE)),
    StageSpec("chart", P, "process", "perception.chart", chart.ChartAdapter, chart.build,
              reads=(InputKind.IMAGE,)),
    StageSpec("asr", P, "transcribe", "perception.asr", asr.AsrAdapter, asr.build,
              describe=True, reads=(InputKind.AUDIO,)),
    StageSpec("browse", A, "browse", "actions.browse", browse.BrowseAdapter, browse.build,
              tool=True, describe=True),
    StageSpec("execute", A, "run", "actions.execute", execute.ExecuteAdapter, execute.build,
              tool=True, describe=True),
    StageSpec("retrieve", A, "search", "actions.retrieve", retrieve.RetrieveAdapter,
              retrieve.build, tool=True, needs=("embed",), deferred=True),
    # services: deployments other deployments (or other endpoints) use
    StageSpec("embed", S, "embed", "embed", None, build_embed),  # also /v1/embeddings
    StageSpec("index", S, "index", "actions.index", None, build_index,
              needs=("embed", "retrieve")),  # and ocr when deployed
)  # fmt: skip

SPECS: dict[str, StageSpec] = {spec.name: spec for spec in REGISTRY}
PIPELINE_STAGES: tuple[str, ...] = tuple(s.name for s in REGISTRY if s.adapter is not None)
TOOL_STAGES: tuple[str, ...] = tuple(s.name for s in REGISTRY if s.tool)
DESCRIBED_STAGES: tuple[str, ...] = tuple(s.name for s in REGISTRY if s.describe)
DEFERRED_STAGES: frozenset[str] = frozenset(s.name for s in REGISTRY if s.deferred)
LLM_STAGE = "llm"
# What a routing-table pipeline may name, with each stage's family (for its deadline).
ROUTABLE: dict[str, StageKind] = {
    **{s.name: s.kind for s in REGISTRY if s.adapter is not None},
    LLM_STAGE: StageKind.LLM,
}


def perception_stages_for(kind: InputKind) -> tuple[str, ...]:
    """Perception stages that can read a media kind."""
    return tuple(s.name for s in REGISTRY if kind in s.reads)
