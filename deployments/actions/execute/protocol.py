"""What the execute deployment returns: one run's result and the sandbox in force."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# Names used in ``ExecutionResult.limits_hit``.
LIMIT_TIMEOUT = "timeout"
LIMIT_MEMORY = "memory"
LIMIT_PIDS = "pids"
LIMIT_CPU = "cpu_time"
LIMIT_OUTPUT = "output"

Strength = Literal["strong", "reduced", "weak"]


class ExecutionResult(BaseModel):
    """The outcome of one sandboxed run."""

    stdout: str = Field(description="Standard output (UTF-8, undecodable bytes replaced).")
    stderr: str = Field(description="Standard error (UTF-8, undecodable bytes replaced).")
    exit_code: int = Field(
        description="Exit status; 128+N when the snippet was killed by signal N (137: SIGKILL)."
    )
    duration_ms: float = Field(description="Wall time of the run, sandbox start-up included.")
    limits_hit: list[str] = Field(
        default_factory=list,
        description="Limits the run ran into: timeout, memory, pids, cpu_time, output.",
    )
    truncated: bool = Field(
        False, description="stdout or stderr was cut at max_output_bytes (and the run stopped)."
    )
    sandbox: str = Field(description="The layering the run used, e.g. 'bubblewrap+seccomp+...'.")


class SandboxReport(BaseModel):
    """Which isolation layers are active on this host (probed once at start)."""

    backend: Literal["bubblewrap", "subprocess"] = Field(description="The runner in use.")
    layers: list[str] = Field(description="Active layers, strongest first.")
    missing: dict[str, str] = Field(
        default_factory=dict, description="Layers not in force, each with the reason."
    )
    strength: Strength = Field(
        description=(
            "strong: every layer; reduced: bubblewrap with a layer missing; weak: no "
            "namespaces (subprocess backend)."
        )
    )
    python: str = Field("", description="Interpreter inside the sandbox and its version.")
    packages: list[str] = Field(
        default_factory=list, description="Extra packages importable inside (e.g. numpy)."
    )
