"""The router's side of the action layer: browse URLs, run code, retrieve passages."""
