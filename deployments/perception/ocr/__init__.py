"""Documents and scans → text with positions, tables and confidence (the ``ocr`` deployment)."""
