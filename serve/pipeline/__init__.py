"""The request pipeline: plan → stages → screen → small stack → escalate. No HTTP here."""
