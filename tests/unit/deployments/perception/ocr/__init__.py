"""OCR deployment unit tests (no Ray)."""
