"""Start-up of the LLM replica: skip Ray Serve LLM's node initialization for local folders.

Before starting the engine, Ray Serve LLM runs ``initialize_node``: one Ray task per node of
the placement group that "downloads" the model. For a model that is already a folder on the
node (a packaged model prepared by `ifz models prepare`, or a path on a shared volume) the
task only returns that path, but it costs a fresh Python worker that imports torch and vLLM
(~10 s on the critical path of a 2-core machine) and that worker then stays in Ray's idle
pool holding ~800 MB — again after every replica restart. :class:`LocalModelCallback` (set
through ``LLMConfig.callback_config``) skips it when the source is a local directory.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ray.llm._internal.common.callbacks.base import CallbackBase

logger = logging.getLogger(__name__)


def is_local_folder(source: object) -> bool:
    return isinstance(source, str) and Path(source).is_dir()


class LocalModelCallback(CallbackBase):
    """Ray Serve LLM callback: no node-initialization task for a model folder on this node."""

    async def on_before_node_init(self) -> None:
        source = self.llm_config.model_loading_config.model_source
        if is_local_folder(source):
            self.ctx.run_init_node = False
            logger.info("llm: %s is a local folder; node initialization skipped", source)
