"""kb: the command line and MkDocs plugins of the knowledge base."""
