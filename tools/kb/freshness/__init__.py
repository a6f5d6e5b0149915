"""Freshness: monthly update coverage per (page, language) and translation drift, from git history.

One `git log --first-parent --raw -M -z` pass lists what landed on main and when; one
`git cat-file --batch` pass reads every blob involved; everything else is pure functions over
those two streams (see coverage.py), so tests can drive them on small scenario repositories.
"""
