"""Gateway and guardrails: one hook class per concern, composed by :class:`Gateway`.

auth (API keys) · limits (token buckets, budgets; shared through a named Ray actor) ·
validation (sizes, media headers, MIME sniffing, URLs) · input guard (injection, jailbreak,
secrets, PII; also on extracted text) · output guard (redaction, response_format) · audit.

Import from the submodules; this package imports nothing eagerly (numpy, jsonschema and the
embedding model load only when used).
"""
