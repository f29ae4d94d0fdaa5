"""One module per Ray Serve deployment: perception models, action tools and the LLM."""
