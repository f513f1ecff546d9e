# The two commands a newcomer needs: `make serve` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# Build one territory alone, as a standalone site for its own domain: make html TERRITORY=loiret
TERRITORY ?=
export TERRITORY
export PYTHONPATH := $(CURDIR)/plugins:$(CURDIR)/functions

.PHONY: venv html publish serve test lint browser clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

venv: $(BIN)/.installed

html: venv
	$(BIN)/pelican --settings pelicanconf.py

publish: venv
	$(BIN)/pelican --settings publishconf.py

serve: html
	$(BIN)/python -m forms.local --root output --port $(PORT)

# Debian's Chromium, driven by Playwright in the browser tests (browser downloads are blocked).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint --regions eu-west-3 -- template.yaml

test: venv browser lint
	$(BIN)/pytest

clean:
	rm -rf output var functions/forms/catalogue.json
