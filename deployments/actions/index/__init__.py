"""The ``index`` deployment: crawl or take a file, parse, chunk by tokens, embed, store."""
