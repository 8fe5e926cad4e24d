# The two front-door commands (see README): `make lab` and `make test`.
# Both create .venv when it is missing and install the pinned dependencies from pyproject.toml.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.labkit-installed
JUPYTER_PORT ?= 8888
WORK ?= my-labs
# No language-server autodetection: it only prints "Skipped non-installed server(s): ..." at a newcomer.
JUPYTER_FLAGS := --no-browser --ip 127.0.0.1 --port $(JUPYTER_PORT) --ServerApp.port_retries=0 \
	--LanguageServerManager.autodetect=False
ifeq ($(shell id -u),0)
JUPYTER_FLAGS += --allow-root
endif

.PHONY: lab test install build clean-venv chromium ministack

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "labkit needs Python 3.11 or newer on PATH (python3.11, python3.12, ...)."; exit 1; }
	@# A venv left half-made by an interrupted run (no pip) is made again rather than failing forever.
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# setuptools' "Editable installation ... folders with the same name" box is noise for a learner.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# JupyterLab opens your private copies (my-labs/, out of git): labs/ stays as git has it.
lab: install
	$(BIN)/labkit up
	$(BIN)/labkit my-labs --dir $(WORK)
	@echo "Opening JupyterLab on $(WORK)/, your own copies of labs/ (Ctrl+C stops JupyterLab; 'labkit down' stops the endpoint)."
	$(BIN)/jupyter lab $(JUPYTER_FLAGS) --notebook-dir=$(WORK)

test: install chromium ministack
	bash .ci/test-all.sh

# The browser tests drive Debian's chromium through pip playwright. Never `playwright install`: it
# downloads a browser build. As root (CI) it is installed with apt; otherwise the tests fail and say how.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests (apt-get) ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium: sudo apt-get install -y chromium (they fail without it)."; \
	  fi; }

# MiniStack (tests/targets/test_ministack.py runs the labs' checks against it) in a venv of its own:
# its botocore pin cannot share the kit's. Pinned in .ci/ministack-requirements.txt; tests never download.
MINISTACK := $(VENV)/labkit-ministack
$(MINISTACK)/.installed: .ci/ministack-requirements.txt
	@test -n "$(PYTHON)" || { echo "labkit needs Python 3.11 or newer on PATH (python3.11, python3.12, ...)."; exit 1; }
	@rm -rf $(MINISTACK)
	$(PYTHON) -m venv $(MINISTACK)
	$(MINISTACK)/bin/python -m pip install --quiet --disable-pip-version-check -r .ci/ministack-requirements.txt
	@touch $@

ministack: $(MINISTACK)/.installed

build: install
	$(BIN)/labkit build

clean-venv:
	rm -rf $(VENV)
