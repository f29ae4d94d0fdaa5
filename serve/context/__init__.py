"""Context construction: what the final LLM sees, fitted to its budget."""
