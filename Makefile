# Two commands set everything up on a fresh machine: `make app` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SWAP_DATA ?= $(abspath ../shared/data)
export SWAP_DATA

.PHONY: app test lint wheel-check venv bench browser-deps clean

$(STAMP): requirements.txt requirements-dev.txt requirements-ray.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .  # the swap-explorer command in .venv/bin
	touch $(STAMP)

venv: $(STAMP)

# This machine only by default; `make app HOST=0.0.0.0` shares it on the network (see the README first).
HOST ?= 127.0.0.1
app: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.address $(HOST)

# --durations: the slowest tests named in every run, so the 15-minute budget is watched where it is spent.
test: $(STAMP) browser-deps lint
	$(PY) -m pytest -q --durations=15
	$(MAKE) --no-print-directory wheel-check

# ruff (rules in pyproject.toml) on the whole tree, mypy on swap_engine/: any new warning fails CI.
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

# Build the wheel, install it in a fresh venv outside the repository, run the CLI from a temp folder.
wheel-check: $(STAMP)
	PY=$(PY) .ci/wheel-check

# The one real-browser test needs Debian's Chromium; install it when we may (root with apt), else the test skips.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "chromium not installed: the browser test will be skipped"; }

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache build dist *.egg-info
