"""Held-out evaluation material: read by the split builders only, never while tuning."""
