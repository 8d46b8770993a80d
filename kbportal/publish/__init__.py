"""Publishing: build the knowledge base into an immutable version and swap it in."""
