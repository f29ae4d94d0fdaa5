"""Pieces every deployment shares: media decoding and sniffing, input errors, builders."""
