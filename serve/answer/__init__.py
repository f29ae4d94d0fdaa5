"""Small-stack answerers: answers with confidence and cited sources, no LLM involved."""
