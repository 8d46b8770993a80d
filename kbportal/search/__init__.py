"""Search over articles, one index entry per section, behind a small interface."""
