"""Request input, parsed once: media, URLs, code and the question every stage reads."""
