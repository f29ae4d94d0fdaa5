"""Settings of the execute deployment (sandboxed Python snippets)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from deployments.common.settings import DeploymentSettings

OptionalLayer = Literal["unprivileged_uid", "cgroup_pids", "cgroup_memory", "seccomp", "landlock"]


class ExecuteSettings(DeploymentSettings):
    """The execute deployment: untrusted Python in a sandbox, with every limit from config."""

    max_ongoing_requests: int = Field(
        16, ge=1, description="Requests one replica accepts at once; runs beyond it queue."
    )
    enabled: bool = Field(True, description="Deploy the execute stage.")
    backend: Literal["bubblewrap", "subprocess"] = Field(
        "bubblewrap",
        description=(
            "bubblewrap: namespaces, read-only /usr, private /tmp, no network. subprocess: the "
            "weakest layering (no filesystem or network isolation); used when named here, or "
            "automatically when bubblewrap cannot run on this host (then reported as weak)."
        ),
    )
    allow_fallback: bool = Field(
        True,
        description=(
            "When bubblewrap cannot run here, fall back to the subprocess backend (reported in "
            "/healthz as strength 'weak'); False: refuse to start instead."
        ),
    )
    disable_layers: list[OptionalLayer] = Field(
        default_factory=list,
        description=(
            "Layers left out on purpose (benchmarks, debugging); reported as missing. "
            "The wall timeout, rlimits and output caps are always on."
        ),
    )
    timeout_s: float = Field(
        10.0,
        gt=0,
        le=600,
        description="Wall-clock limit of one run; a request may ask for less, never more.",
    )
    memory_mb: int = Field(
        256, ge=16, description="Memory of one run, /tmp files included (cgroup and rlimit)."
    )
    max_pids: int = Field(
        32, ge=1, description="Processes and threads one run may have at once (cgroup pids)."
    )
    max_output_bytes: int = Field(
        64 * 1024,
        ge=1,
        description="Bytes kept per stream (stdout, stderr); a run that writes more is stopped.",
    )
    max_code_bytes: int = Field(
        64 * 1024, ge=1, description="Largest accepted snippet, UTF-8 encoded (413 beyond)."
    )
    max_stdin_bytes: int = Field(
        1024 * 1024, ge=0, description="Largest accepted stdin, UTF-8 encoded (413 beyond)."
    )
    tmp_size_mb: int = Field(
        32, ge=1, description="Size of the run's private /tmp (tmpfs; also the file size limit)."
    )
    max_open_files: int = Field(64, ge=16, description="Open file descriptors per process.")
    max_concurrent_runs: int = Field(
        2, ge=1, description="Sandboxes one replica runs at once; further requests wait."
    )
    allow_numpy: bool = Field(
        True, description="Make numpy (from this environment) importable, read-only."
    )
    extra_packages: list[str] = Field(
        default_factory=list,
        description="Further top-level packages of this environment made importable read-only.",
    )
    python_executable: str | None = Field(
        None,
        description=(
            "Interpreter run inside the sandbox (made visible read-only). None: this process's "
            "interpreter, or a system Python of the same version when the sandbox user cannot "
            "reach it."
        ),
    )
    bwrap_path: str = Field("bwrap", description="The bubblewrap binary (a name on PATH or path).")
    setpriv_path: str = Field(
        "setpriv", description="util-linux setpriv, used to drop root before the sandbox starts."
    )
    sandbox_uid: int = Field(
        65534, ge=1, description="Non-root uid the snippet runs as (on the host where possible)."
    )
    sandbox_gid: int = Field(65534, ge=1, description="Non-root gid the snippet runs as.")
    cgroup_root: str | None = Field(
        None,
        description=(
            "Cgroup (path inside the hierarchy, e.g. '/interfaze-execute') under which per-run "
            "cgroups are created; None: this process's own cgroup. cgroup v2 needs a delegated "
            "one."
        ),
    )
    allow_exec: bool = Field(
        False,
        description=(
            "Let snippets start other programs (execve) inside the sandbox; off, subprocesses "
            "and shells fail with PermissionError (fork still works, within max_pids)."
        ),
    )

    @model_validator(mode="after")
    def _check_packages(self) -> ExecuteSettings:
        bad = [p for p in self.extra_packages if not p.isidentifier()]
        if bad:
            raise ValueError(f"extra_packages must be top-level module names, got {bad}")
        return self
