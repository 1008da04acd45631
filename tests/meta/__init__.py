"""The project around the code: architecture, docs, snippets, install."""
