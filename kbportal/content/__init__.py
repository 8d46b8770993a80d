"""The content pipeline: markdown files in, rendered articles and problems out."""
