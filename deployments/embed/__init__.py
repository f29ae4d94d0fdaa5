"""The ``embed`` deployment: sentence embeddings with all-MiniLM-L6-v2 (offline, packaged)."""
