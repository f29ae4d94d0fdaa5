"""The models this server answers to, shared by chat, audio and ``/v1/models``."""

from __future__ import annotations

from dataclasses import dataclass

from deployments.common.errors import NotFound
from serve.api.protocol import ModelCard, ModelList
from serve.config.schema import AppConfig

# Speech models OpenAI clients name; any of them is served by the ASR deployment.
TRANSCRIPTION_ALIASES = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe")
# Embedding models OpenAI clients name; any of them is served by the embed deployment.
EMBEDDING_ALIASES = ("text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002")
# Other names of the packaged embedding model (``embed.model: minilm``).
MINILM_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")


@dataclass(frozen=True)
class ModelTarget:
    """What a model name asks for: the small-models-first pipeline or the bare LLM."""

    name: str
    llm_only: bool


class ModelCatalogue:
    """Resolves model names (404 with the list of known ones otherwise)."""

    def __init__(self, config: AppConfig, *, llm: bool, asr: bool, embed: bool = False) -> None:
        self.config = config
        self.llm = llm
        self.asr = asr
        self.embed = embed

    def list(self) -> ModelList:
        cards = [
            ModelCard(
                id=self.config.model_name,
                description="Small models first: perception + tools, the LLM only when needed.",
            )
        ]
        if self.llm:
            cards.append(
                ModelCard(
                    id=self.config.llm.model_id,
                    description="The final LLM alone (no small-model stack): a baseline.",
                )
            )
        if self.embed:
            cards.append(
                ModelCard(
                    id=self.config.embed.model,
                    description="Sentence embeddings (/v1/embeddings), the embed deployment.",
                )
            )
        return ModelList(data=cards)

    def card(self, model: str) -> ModelCard:
        for card in self.list().data:
            if card.id == model:
                return card
        raise NotFound(f"model {model!r} does not exist", code="model_not_found", param="model")

    def chat(self, model: str) -> ModelTarget:
        """The target of a chat model name."""
        if model == self.config.model_name:
            return ModelTarget(model, llm_only=False)
        if self.llm and model == self.config.llm.model_id:
            return ModelTarget(model, llm_only=True)
        known = [card.id for card in self.list().data]
        raise NotFound(
            f"model {model!r} does not exist; available: {known}",
            code="model_not_found",
            param="model",
        )

    def transcription_models(self) -> list[str]:
        return [*TRANSCRIPTION_ALIASES, self.config.model_name, self.config.perception.asr.model]

    def transcription(self, model: str) -> str:
        """Check a transcription model name."""
        names = self.transcription_models()
        if model not in names:
            raise NotFound(
                f"model {model!r} does not exist; available: {names}",
                code="model_not_found",
                param="model",
            )
        return model

    def embedding_models(self) -> list[str]:
        names = [*EMBEDDING_ALIASES, self.config.embed.model]
        if self.config.embed.model == "minilm":
            names.extend(MINILM_NAMES)
        return names

    def embedding(self, model: str) -> str:
        """Check an embedding model name (OpenAI's names are aliases of the embed model)."""
        names = self.embedding_models()
        if not self.embed or model not in names:
            raise NotFound(
                f"model {model!r} does not exist; available: {names if self.embed else []}",
                code="model_not_found",
                param="model",
            )
        return model
