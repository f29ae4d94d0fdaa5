"""The ``retrieve`` deployment: owns the Milvus collection; top-k search with metadata filters."""
