"""Incident casebooks: case.yaml format, validation, artifact rendering and the kb-casebook plugin."""
