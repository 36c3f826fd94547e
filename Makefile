# The two commands of the README:  `make run` (set up, then the main benchmark) and `make test`.
PY := .venv/bin/python

.PHONY: setup run test test-all
setup:
	bash scripts/setup.sh

run: setup
	$(PY) -m benchmarks.run --codecs all

test: setup
	$(PY) -m pytest

# Also the slow tests (full-size models, whole demo set): opt-in.
test-all: setup
	$(PY) -m pytest -m "slow or not slow"
