"""Documents and scans → text with positions, tables and confidence (the ``ocr`` deployment).

Modules: ``config`` (settings), ``protocol`` (output models), ``inputs`` (request checks),
``pdf_text`` / ``images`` (decoding), ``preprocess`` (deskew, denoise, rulings), engines
``tesseract`` / ``rapidocr_backend`` / ``nougat`` behind ``backend``, ``tables`` and ``layout``
(reading order), ``reader`` (one document, no Ray), ``deployment`` and ``builder``.
"""
