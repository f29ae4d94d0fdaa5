"""OpenAI-compatible request and response models (protocol only, no serving logic)."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

MAX_CHOICES = 16  # most choices (n) one request may ask for


class Lenient(BaseModel):
    """Unknown fields from newer clients are ignored rather than rejected."""

    model_config = ConfigDict(extra="ignore")


def null_means(default: Any) -> BeforeValidator:
    """Wrappers send unset options as null: null means the default, as in OpenAI's API."""
    return BeforeValidator(lambda value: default if value is None else value)


class RequestBody(Lenient):
    """Base of every request body: text must be valid Unicode (no lone UTF-16 surrogates)."""

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        if lone_surrogate(data):
            raise ValueError("text holds a lone UTF-16 surrogate (not valid Unicode)")
        return data


class TextPart(Lenient):
    type: Literal["text"]
    text: str


class ImageURL(Lenient):
    url: str = Field(..., min_length=1, description="data: URL or http(s) URL of the image.")
    detail: str | None = None


class ImagePart(Lenient):
    type: Literal["image_url"]
    image_url: ImageURL


class InputAudio(Lenient):
    data: str = Field(..., min_length=1, description="Base64-encoded audio bytes.")
    format: str = Field(..., min_length=1, description="wav, mp3, flac or ogg.")


class AudioPart(Lenient):
    type: Literal["input_audio"]
    input_audio: InputAudio


class FileData(Lenient):
    file_data: str | None = Field(None, description="data: URL of the file (PDF).")
    file_id: str | None = None
    filename: str | None = None


class FilePart(Lenient):
    type: Literal["file"]
    file: FileData


ContentPart = Annotated[TextPart | ImagePart | AudioPart | FilePart, Field(discriminator="type")]
CONTENT_PART_TYPES = ("text", "image_url", "input_audio", "file")


class ToolCallFunction(Lenient):
    name: str
    arguments: str = Field("{}", description="JSON-encoded arguments.")


class ToolCall(Lenient):
    id: str
    type: Literal["function"] = "function"
    function: ToolCallFunction


class FunctionDefinition(Lenient):
    name: str = Field(..., pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = Field(None, description="JSON Schema of the arguments.")
    strict: bool | None = None

    @field_validator("parameters")
    @classmethod
    def _shallow(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        _check_depth(value, "function parameters")
        return value


class Tool(Lenient):
    type: Literal["function"]
    function: FunctionDefinition


class NamedFunction(Lenient):
    name: str


class NamedToolChoice(Lenient):
    type: Literal["function"]
    function: NamedFunction


ToolChoice = Literal["none", "auto", "required"] | NamedToolChoice


class ChatMessage(Lenient):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = Field(None, description="Calls an assistant made.")
    tool_call_id: str | None = Field(None, description="The call a tool message answers.")

    def text(self) -> str:
        """The message's text parts joined (non-text parts are handled by the planner)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text for p in self.content if isinstance(p, TextPart))


MAX_SCHEMA_DEPTH = 64  # JSON Schemas nested deeper are refused (a validator would recurse)
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def nesting_depth(value: Any, limit: int) -> int:
    """How deeply ``value`` nests (dicts and lists), counting no further than ``limit + 1``."""
    depth, level = 0, [value]
    while level and depth <= limit:
        depth += 1
        nxt: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                nxt.extend(item.values())
            elif isinstance(item, list):
                nxt.extend(item)
        level = [x for x in nxt if isinstance(x, dict | list)]
    return depth


def _check_depth(value: Any, what: str) -> None:
    if value is not None and nesting_depth(value, MAX_SCHEMA_DEPTH) > MAX_SCHEMA_DEPTH:
        raise ValueError(f"{what} nests deeper than {MAX_SCHEMA_DEPTH} levels")


def lone_surrogate(value: Any) -> bool:
    """Whether any text in ``value`` holds a lone UTF-16 surrogate (not valid Unicode)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            # isascii() is a flag of the string (O(1)): base64 payloads are never scanned
            if not item.isascii() and not item.startswith("data:") and _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class ResponseFormat(Lenient):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _schema_needed(self) -> ResponseFormat:
        schema = (self.json_schema or {}).get("schema")
        if self.type == "json_schema" and not isinstance(schema, dict):
            raise ValueError("response_format json_schema needs json_schema.schema (object)")
        _check_depth(schema, "response_format.json_schema.schema")
        return self


class StreamOptions(Lenient):
    include_usage: bool = False


class SamplingRequest(RequestBody):
    """What the chat and completions bodies share: the model and its sampling options."""

    model: str = Field(..., min_length=1)
    stream: Annotated[StrictBool, null_means(False)] = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    top_k: int | None = Field(None, ge=-1, description="vLLM extension: top-k sampling.")
    n: Annotated[int, null_means(1)] = Field(1, ge=1, le=MAX_CHOICES)
    stop: str | list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    logit_bias: dict[str, float] | None = None
    user: str | None = None

    @field_validator("stop")
    @classmethod
    def _stop_list(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and len(value) > 4:
            raise ValueError("at most 4 stop sequences")
        if isinstance(value, list) and any(not s for s in value):
            raise ValueError("stop sequences must not be empty")
        return value

    @field_validator("logit_bias")
    @classmethod
    def _logit_bias(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for token, bias in (value or {}).items():
            if not token.isdigit():
                raise ValueError(f"logit_bias keys are token ids; got {token!r}")
            if not -100 <= bias <= 100:
                raise ValueError(f"logit_bias values lie in [-100, 100]; got {bias}")
        return value

    def sampling(self) -> dict[str, Any]:
        """The decoding parameters every LLM endpoint passes through as they are."""
        return {
            "n": self.n,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
            "logit_bias": self.logit_bias,
            "stop": self.stop_list(),
            "seed": self.seed,
        }

    def stop_list(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)


class ChatCompletionRequest(SamplingRequest):
    """``POST /v1/chat/completions`` body."""

    messages: list[ChatMessage] = Field(..., min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    logprobs: Annotated[StrictBool, null_means(False)] = False
    top_logprobs: int | None = Field(None, ge=0, le=20)
    response_format: ResponseFormat | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ChatCompletionRequest:
        if self.top_logprobs is not None and not self.logprobs:
            raise ValueError("top_logprobs requires logprobs: true")
        if isinstance(self.tool_choice, NamedToolChoice):
            names = {t.function.name for t in self.tools or []}
            if self.tool_choice.function.name not in names:
                raise ValueError(
                    f"tool_choice names {self.tool_choice.function.name!r}, which is not in tools"
                )
        if self.tool_choice in ("required",) and not self.tools:
            raise ValueError("tool_choice 'required' needs tools")
        return self

    def token_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    @property
    def wants_tools(self) -> bool:
        """Tools the model may call (``tool_choice: none`` disables them)."""
        return bool(self.tools) and self.tool_choice != "none"

    @property
    def must_call_tool(self) -> bool:
        return self.wants_tools and (
            self.tool_choice == "required" or isinstance(self.tool_choice, NamedToolChoice)
        )


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class InterfazeUsage(BaseModel):
    llm_prompt_tokens: int = 0
    llm_completion_tokens: int = 0


class InterfazeMeta(BaseModel):
    """The ``interfaze`` object every response carries beside the standard fields."""

    escalated: bool
    route: list[str]
    confidence: float
    trace_id: str
    usage: InterfazeUsage = Field(default_factory=InterfazeUsage)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    answerer: str | None = Field(None, description="The small-stack answerer that answered.")
    sources: list[str] = Field(default_factory=list, description="Citations of the evidence.")
    degraded: dict[str, str] = Field(
        default_factory=dict,
        description="Stage calls that failed or timed out; the answer was made without them.",
    )


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None
    tool_calls: list[ToolCall] | None = None


class ChoiceLogprobs(BaseModel):
    content: list[dict[str, Any]] | None = None


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: str | None = "stop"
    logprobs: ChoiceLogprobs | None = None


class ChatCompletionResponse(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(default_factory=lambda: int(time.time()))
    model: str
    choices: list[Choice]
    usage: Usage
    interfaze: InterfazeMeta


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    tool_calls: list[dict[str, Any]] | None = None


class StreamChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: str | None = None
    logprobs: ChoiceLogprobs | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int = Field(default_factory=lambda: int(time.time()))
    model: str
    choices: list[StreamChoice]
    usage: Usage | None = None
    interfaze: InterfazeMeta | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "interfaze-serve"
    description: str = ""


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ErrorBody(BaseModel):
    message: str
    type: str
    code: str | int | None = None
    param: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


# The error statuses every endpoint documents in the OpenAPI schema.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 413, 415, 422, 429, 503, 504)
}
