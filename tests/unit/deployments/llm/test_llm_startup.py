"""The LLM replica skips Ray Serve LLM's node-initialization task for a local model folder."""

from __future__ import annotations

from deployments.llm.builder import build_llm_config
from deployments.llm.config import LLMSettings


def callback_for(source: str):
    config = build_llm_config(LLMSettings(model_source=source, device="cpu"), source)
    return config.get_or_create_callback()


async def test_a_local_folder_needs_no_download_task(tmp_path):
    callback = callback_for(str(tmp_path))
    assert type(callback).__name__ == "LocalModelCallback"
    await callback.run_callback("on_before_node_init")
    assert callback.ctx.run_init_node is False


async def test_a_hub_id_is_still_downloaded():
    callback = callback_for("Qwen/Qwen2.5-0.5B-Instruct")
    await callback.run_callback("on_before_node_init")
    assert callback.ctx.run_init_node is True
