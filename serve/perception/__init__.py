"""The router's side of perception: media extraction, stage calls, observations."""
