"""The site build: strict build into a temporary folder, live preview, generated-page helpers."""
