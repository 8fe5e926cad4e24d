# The two front-door commands (see README): `make lab` and `make test`.
# Both create .venv when it is missing and install the pinned dependencies from pyproject.toml.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.labkit-installed
JUPYTER_PORT ?= 8888
JUPYTER_FLAGS := --no-browser --ip 127.0.0.1 --port $(JUPYTER_PORT) --ServerApp.port_retries=0
ifeq ($(shell id -u),0)
JUPYTER_FLAGS += --allow-root
endif

.PHONY: lab test install build clean-venv

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "labkit needs Python 3.11 or newer on PATH (python3.11, python3.12, ...)."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

lab: install
	$(BIN)/labkit up
	@echo "Opening JupyterLab on labs/ (Ctrl+C stops JupyterLab; 'labkit down' stops the endpoint)."
	$(BIN)/jupyter lab $(JUPYTER_FLAGS) --notebook-dir=labs

test: install
	bash .ci/test-all.sh

build: install
	$(BIN)/labkit build

clean-venv:
	rm -rf $(VENV)
