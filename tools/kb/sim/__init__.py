"""`kb sim ...` and `kb bench sim`: command-line glue for gmpsim (snippets/gmpsim)."""
