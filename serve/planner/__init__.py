"""Planning: what a request contains, and which pipeline of stages serves it."""
