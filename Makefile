# The two entry points of README.md. Both run the idempotent set-up first, so each works alone on a
# fresh Debian 12 machine (as root; without root a missing Debian package stops with the apt-get line).
.PHONY: setup serve build test lint
KB := .venv/bin/kb

setup:
	@tools/setup/setup.sh

serve: setup
	$(KB) build
	$(KB) serve --dev-addr 127.0.0.1:8000

build: setup
	$(KB) build

test: setup
	.venv/bin/python -m pytest

lint: setup
	.venv/bin/ruff check tools snippets tests
	.venv/bin/mypy
