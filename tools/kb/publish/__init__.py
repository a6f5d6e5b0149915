"""Publishing the built site: validate it, deploy it with mike to a gh-pages branch, roll back.

The pieces are plain modules so tests drive them without MkDocs: `site` (what a publishable site
looks like), `gitops` (the few git operations mike does not do: fetch, reset, compare-and-swap
push), `buildinfo` (provenance written next to the pages) and `deploy` (the retry loop that ties
them to mike). `cli` only parses arguments.
"""
