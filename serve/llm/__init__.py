"""The router's side of the final LLM: request protocol and the handle client."""
