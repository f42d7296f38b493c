# The two commands of the README: `make run` (the stack with a demo tenant) and `make test`.
# `make test ARGS="tests/unit -x"` passes arguments through to pytest.

PYTHON := $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: setup tools run test lint clean

setup: $(STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when the dependencies can have changed; the stamp records the last install.
$(STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install -c constraints.txt -e '.[test]'
	touch $(STAMP)

# The ops tier's tools (promtool, prometheus, docker-compose, kubectl); installs only what is missing.
tools:
	@bash deploy/install-tools.sh

run: setup
	$(VENV)/bin/iec stack

test: setup tools
	$(VENV)/bin/python -m pytest $(ARGS)

lint: setup
	$(VENV)/bin/ruff check services tests

clean:
	rm -rf var/
