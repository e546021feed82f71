# The two commands of the README: `make run` and `make test`.
.PHONY: run test demo setup lint format

run: setup
	.venv/bin/guestlist serve

test:
	./scripts/test

demo: setup
	.venv/bin/guestlist demo

setup:
	./scripts/bootstrap

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy guestlist tests bench && .venv/bin/lint-imports

format: setup
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .
