"""One adapter per stage: typed payloads in, observations with provenance out."""
