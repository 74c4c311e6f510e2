# The two commands: `make run` (the server, embedded defaults) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run demo test test-fast lint typecheck bench-read clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

run: $(STAMP)
	@echo "New to Sahod? 'make demo' runs this same server plus a sample tenant site with the widget."
	$(BIN)/sahod serve

# Where a newcomer starts: the server as `make run` starts it, plus a sample tenant site on
# http://127.0.0.1:8001 that embeds the widget and logs its callbacks and webhooks.
demo: $(STAMP)
	$(BIN)/sahod demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# The whole suite: lint, types, and every test including the slow end-to-end ones.
test: $(STAMP) lint typecheck
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-tesseract.sh
	$(BIN)/pytest -q -n 2 --dist loadgroup

# The local loop: skips tests marked slow.
test-fast: $(STAMP)
	$(BIN)/pytest -q -n 2 --dist loadgroup -m "not slow"

bench-read: $(STAMP)
	bash scripts/ensure-wrk.sh
	$(BIN)/python bench/read_api.py

clean:
	rm -rf $(VENV) .sahod .mypy_cache .ruff_cache .pytest_cache
