"""The zh <-> en glossary: terms (snippets/glossary.yaml), the generated glossary page, and the
check that every page translates a term the same way."""
