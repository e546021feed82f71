# The two commands of the README: `make run` and `make test`.
.PHONY: run test demo setup lint format

# Where `make run` / `make demo` listen: `make run PORT=9000 HOST=0.0.0.0`. Plain assignments,
# so a HOST or PORT exported by the shell does not change them by accident.
HOST = 127.0.0.1
PORT = 8484

run: setup
	.venv/bin/guestlist serve --host $(HOST) --port $(PORT)

test:
	./scripts/test

demo: setup
	.venv/bin/guestlist demo --host $(HOST) --port $(PORT)

setup:
	./scripts/bootstrap

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy guestlist tests bench && .venv/bin/lint-imports

format: setup
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .
