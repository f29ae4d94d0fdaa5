"""POST /v1/responses (OpenAI's Responses API over the chat pipeline), GET/DELETE by id."""
