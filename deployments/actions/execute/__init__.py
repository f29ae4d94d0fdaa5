"""Execute: untrusted Python snippets in the strongest sandbox the host allows.

bubblewrap (all namespaces, read-only /usr and interpreter, private /tmp, no network, non-root
uid) + per-run cgroups (pids, memory) + a seccomp denylist + rlimits + a wall timeout that kills
the process group + capped output. Layers a host does not allow are left out and reported.
"""

from deployments.actions.execute.config import ExecuteSettings
from deployments.actions.execute.protocol import ExecutionResult, SandboxReport

__all__ = ["ExecuteSettings", "ExecutionResult", "SandboxReport"]
