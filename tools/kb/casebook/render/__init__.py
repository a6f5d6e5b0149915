"""Artifact renderers: pure functions from case files to page fragments and asset files."""
