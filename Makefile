# jupyterlab-repro — developer entry points.
#
#   make lab                 install (once), build, prepare ./demo-workspace, start JupyterLab
#   make lab WORKSPACE=DIR   the same on your own folder (nothing is created in it)
#   make test                install what tests need, then lint (ruff, mypy, eslint,
#                            prettier), pytest, jest and the Galata UI tests against
#                            the built wheel in a clean venv
#   make screenshots         refresh docs/images/ from the UI tests tagged @screenshot
#
# Re-running is cheap: installs are redone only when pyproject.toml,
# package.json or yarn.lock change, the frontend only when its sources do.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
WHEEL_VENV := .venv-wheel
GIT_VENV := .venv-wheel-git
MLFLOW_SERVER_VENV := .venv-mlflow-server
MLFLOW_LOW_VENV := .venv-mlflow-low
STAMPS := .make
BIN := $(CURDIR)/$(VENV)/bin
DEMO_WORKSPACE := $(CURDIR)/demo-workspace
WORKSPACE ?=
LAB_PORT ?= 8888
LAB_ARGS ?=
BENCH_ARGS ?=

export PATH := $(BIN):$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# yarn asks the same registry npm is configured with on this machine.
YARN_NPM_REGISTRY_SERVER ?= $(shell npm config get registry 2>/dev/null)
export YARN_NPM_REGISTRY_SERVER

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
FRONTEND_SOURCES := $(shell find src style schema -type f 2>/dev/null) package.json tsconfig.json

.PHONY: help install build lab test lint pytest jest wheel wheel-venv system-deps \
	mlflow-server-venv mlflow-low-venv mlflow-matrix ui-deps ui-test ui-test-git screenshots bench clean

help:
	@sed -n '3,8p' Makefile | sed 's/^# \{0,1\}//'

# --- install ---------------------------------------------------------------

$(STAMPS):
	mkdir -p $(STAMPS)

# The venv with the project (editable), its test and demo extras, and the
# JS dependencies. hatch-jupyter-builder builds the frontend on install.
$(STAMPS)/venv: pyproject.toml package.json yarn.lock | $(STAMPS)
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q "hatchling>=1.5" "hatch-jupyter-builder>=0.5" \
	    "hatch-nodejs-version>=0.3.2" editables "jupyterlab>=4.2,<5"
	jlpm install --immutable
	# A production build leaves install.json in the labextension folder, which
	# pyproject.toml also maps on its own: hatchling refuses the duplicate.
	rm -f jupyterlab_repro/labextension/install.json
	$(VENV)/bin/pip install -q --no-build-isolation -e ".[test,demo]"
	jupyter labextension develop --overwrite . >/dev/null
	touch $@

install: $(STAMPS)/venv

$(STAMPS)/frontend: $(STAMPS)/venv $(FRONTEND_SOURCES)
	jlpm build
	touch $@

build: $(STAMPS)/frontend

# --- make lab --------------------------------------------------------------

lab: build
ifeq ($(strip $(WORKSPACE)),)
	$(VENV)/bin/python demo/make_workspace.py "$(DEMO_WORKSPACE)"
	cd "$(DEMO_WORKSPACE)" && \
	MLFLOW_TRACKING_URI="$${MLFLOW_TRACKING_URI:-sqlite:///$(DEMO_WORKSPACE)/mlflow.db}" \
	    jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
	    --ServerApp.root_dir="$(DEMO_WORKSPACE)" $(ROOT_FLAG) $(LAB_ARGS)
else
	@test -d "$(WORKSPACE)" || { echo "make lab: WORKSPACE=$(WORKSPACE) is not a folder" >&2; exit 2; }
	cd "$(WORKSPACE)" && jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
	    --ServerApp.root_dir="$(abspath $(WORKSPACE))" $(ROOT_FLAG) $(LAB_ARGS)
endif

# --- make test -------------------------------------------------------------

test: lint pytest mlflow-matrix jest wheel-venv ui-test ui-test-git

lint: install
	ruff check .
	ruff format --check .
	mypy
	jlpm lint:check

pytest: install system-deps mlflow-server-venv
	pytest

jest: install
	jlpm test

# The wheel exactly as `pip install .` builds it (isolated build, prod frontend).
wheel: install
	rm -rf dist jupyterlab_repro/labextension
	pip wheel -q --no-deps -w dist .
	@ls dist/*.whl

# A clean venv with only the wheel (and the demo extra the UI tests run):
# a file missing from the wheel fails here, not on a user's machine.
wheel-venv: wheel
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install -q "$$(ls dist/*.whl)[demo]"
	@out=$$($(WHEEL_VENV)/bin/jupyter server extension list 2>&1); echo "$$out"; \
	    echo "$$out" | grep -E "jupyterlab_repro.*enabled" >/dev/null \
	    || { echo "wheel: the server extension is not enabled" >&2; exit 1; }
	@out=$$($(WHEEL_VENV)/bin/jupyter labextension list 2>&1); echo "$$out"; \
	    echo "$$out" | grep -E "jupyterlab-repro v[0-9.]+.*enabled.*OK" >/dev/null \
	    || { echo "wheel: the labextension is not enabled" >&2; exit 1; }
	@want=$$(node -p "require('./package.json').version"); \
	    got=$$($(WHEEL_VENV)/bin/python -W error -c "import jupyterlab_repro as m; print(m.__version__)"); \
	    test "$$want" = "$$got" || { echo "wheel: version $$got, package.json $$want" >&2; exit 1; }
	@test ! -L $(WHEEL_VENV)/share/jupyter/labextensions/jupyterlab-repro \
	    || { echo "labextension is a develop-mode link, not the wheel's copy" >&2; exit 1; }
	# The editable dev install needs its dev build back (wheel replaced it
	# with a production build, which also leaves an install.json there).
	rm -rf jupyterlab_repro/labextension
	jlpm build >/dev/null
	touch $(STAMPS)/frontend

# System packages the tests need: Debian's chromium (Playwright drives it; no
# browser download), git-lfs (the guardrail's LFS path) and PostgreSQL (the
# backend store of the live `mlflow server` test; the test starts its own
# throwaway cluster, as the `postgres` user the package creates when run as root).
SUDO := $(if $(filter 0,$(shell id -u)),,$(shell command -v sudo))
APT_MISSING = $(if $(wildcard /usr/bin/chromium),,chromium) \
	$(if $(shell command -v git-lfs 2>/dev/null),,git-lfs) \
	$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql)

system-deps:
	@if [ -n "$(strip $(APT_MISSING))" ]; then \
	    echo "Installing $(strip $(APT_MISSING)) with apt-get…"; \
	    { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      $(SUDO) apt-get install -y -qq $(strip $(APT_MISSING)) >/dev/null; } \
	    || { echo "make test: cannot install '$(strip $(APT_MISSING))' with apt-get;" \
	              "install them (Playwright uses /usr/bin/chromium) and re-run." >&2; exit 1; }; \
	fi

# The full `mlflow` package (server, UI, SQL stores) for the tests that run a
# real `mlflow server` (tests/server/test_runs_live_mlflow.py): the newest
# release up to the project's mlflow-skinny (the full package of the very
# newest skinny may not resolve yet: its own dependencies come later), with
# psycopg2 for PostgreSQL. A venv of its own: in .venv the full package would
# hide what the skinny install lacks. Reinstalled only when the mlflow-skinny
# version changes (.for-mlflow-skinny in the venv says which it was made for).
MLFLOW_VERSION_OF = -c "import sys; from importlib.metadata import version; print(version(sys.argv[1]))"

mlflow-server-venv: $(STAMPS)/mlflow-server-venv

$(STAMPS)/mlflow-server-venv: $(STAMPS)/venv | $(STAMPS)
	@want=$$($(VENV)/bin/python $(MLFLOW_VERSION_OF) mlflow-skinny); \
	    have=$$($(MLFLOW_SERVER_VENV)/bin/python -c "import psycopg2, mlflow.server" 2>/dev/null \
	        && cat $(MLFLOW_SERVER_VENV)/.for-mlflow-skinny 2>/dev/null || true); \
	    if [ "$$have" != "$$want" ]; then \
	        echo "Installing mlflow<=$$want into $(MLFLOW_SERVER_VENV) (the live mlflow server tests)…"; \
	        rm -rf $(MLFLOW_SERVER_VENV); \
	        $(PYTHON) -m venv $(MLFLOW_SERVER_VENV); \
	        $(MLFLOW_SERVER_VENV)/bin/pip install -q "mlflow<=$$want" psycopg2-binary \
	            && echo "$$want" > $(MLFLOW_SERVER_VENV)/.for-mlflow-skinny \
	            && echo "mlflow $$($(MLFLOW_SERVER_VENV)/bin/python $(MLFLOW_VERSION_OF) mlflow) serves the client mlflow-skinny $$want"; \
	    fi
	@touch $@

# The MLflow matrix: .venv runs every suite with the newest mlflow-skinny that
# resolves; .venv-mlflow-low runs the suites that touch MLflow with the lowest
# one pyproject.toml allows (">=2.16" pins 2.16, which pip reads as 2.16.0).
# The project is installed editable from this tree without building the
# frontend again (.make/venv built it; these tests use only the server side).
# The live `mlflow server` stays .venv-mlflow-server's (the newest): the low
# client talks to it over REST, as an older lab does to a team server.
MLFLOW_LOWEST = $(shell sed -n 's/^ *"mlflow-skinny>=\([0-9.]*\).*/\1/p' pyproject.toml)
MLFLOW_TESTS := tests/runs tests/kernel tests/server/test_runs_api.py \
	tests/server/test_compare_api.py tests/server/test_share_api.py \
	tests/server/test_init_api.py tests/server/test_runs_live_mlflow.py \
	tests/faults/test_deadlines.py tests/test_layout.py

mlflow-low-venv: $(STAMPS)/mlflow-low-venv

$(STAMPS)/mlflow-low-venv: pyproject.toml | $(STAMPS)/venv
	@test -n "$(MLFLOW_LOWEST)" || { echo "no mlflow-skinny>=… bound in pyproject.toml" >&2; exit 1; }
	rm -rf $(MLFLOW_LOW_VENV)
	$(PYTHON) -m venv $(MLFLOW_LOW_VENV)
	$(MLFLOW_LOW_VENV)/bin/pip install -q "hatchling>=1.5" "hatch-jupyter-builder>=0.5" \
	    "hatch-nodejs-version>=0.3.2" editables "jupyterlab>=4.2,<5"
	rm -f jupyterlab_repro/labextension/install.json
	SKIP_JUPYTER_BUILDER=1 $(MLFLOW_LOW_VENV)/bin/pip install -q --no-build-isolation \
	    -e ".[test]" "mlflow-skinny==$(MLFLOW_LOWEST)"
	touch $@

mlflow-matrix: $(STAMPS)/mlflow-low-venv system-deps mlflow-server-venv
	@$(MLFLOW_LOW_VENV)/bin/python $(MLFLOW_VERSION_OF) mlflow-skinny
	PATH="$(CURDIR)/$(MLFLOW_LOW_VENV)/bin:$$PATH" $(MLFLOW_LOW_VENV)/bin/python -m pytest \
	    -q -x -p no:cacheprovider $(MLFLOW_TESTS)

ui-deps: system-deps
	cd ui-tests && jlpm install --immutable

# The lab under test listens on a free port (REPRO_UI_PORT to choose one).
FREE_PORT = $(PYTHON) -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"

# The tests tagged @coexist need jupyterlab-git: ui-test-git runs them.
ui-test: ui-deps
	cd ui-tests && REPRO_UI_PORT=$${REPRO_UI_PORT:-$$($(FREE_PORT))} \
	    PATH="$(CURDIR)/$(WHEEL_VENV)/bin:$$PATH" jlpm playwright test --grep-invert @coexist $(UI_ARGS)

# Beside jupyterlab-git (it brings nbdime), as the Docker Stacks images ship
# it: a second clean venv from the same wheel as wheel-venv (make test builds
# it first), then the coexistence spec and a few existing ones in it.
JUPYTERLAB_GIT := jupyterlab-git==0.55.0
UI_GIT_SPECS := tests/coexist.spec.ts tests/sidebar.spec.ts tests/snapshot.spec.ts

ui-test-git: ui-deps
	@ls dist/*.whl >/dev/null 2>&1 || { echo "ui-test-git: no wheel in dist/ (make wheel-venv)" >&2; exit 1; }
	rm -rf $(GIT_VENV)
	$(PYTHON) -m venv $(GIT_VENV)
	$(GIT_VENV)/bin/pip install -q "$$(ls dist/*.whl)[demo]" "$(JUPYTERLAB_GIT)"
	@out=$$($(GIT_VENV)/bin/jupyter labextension list 2>&1); echo "$$out"; \
	    for ext in jupyterlab-repro @jupyterlab/git nbdime-jupyterlab; do \
	        echo "$$out" | grep -E "$$ext v[0-9.]+.*enabled.*OK" >/dev/null \
	        || { echo "ui-test-git: labextension $$ext is not enabled" >&2; exit 1; }; \
	    done
	cd ui-tests && REPRO_UI_PORT=$${REPRO_UI_PORT:-$$($(FREE_PORT))} \
	    PATH="$(CURDIR)/$(GIT_VENV)/bin:$$PATH" jlpm playwright test $(UI_GIT_SPECS) $(UI_ARGS)

# The README's pictures: the UI tests that take them (titles tagged
# @screenshot) write ui-tests/screenshots/ (ignored); this copies them into
# docs/images/. make test never writes a tracked file.
screenshots: wheel-venv ui-deps
	rm -rf ui-tests/screenshots
	cd ui-tests && REPRO_UI_PORT=$${REPRO_UI_PORT:-$$($(FREE_PORT))} \
	    PATH="$(CURDIR)/$(WHEEL_VENV)/bin:$$PATH" jlpm playwright test --grep @screenshot
	cp ui-tests/screenshots/*.png docs/images/
	@git status --short docs/images

# --- make bench (not part of make test) -----------------------------------

bench: install
	$(VENV)/bin/pip install -q nbstripout nbconvert
	$(VENV)/bin/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(STAMPS) dist lib jupyterlab_repro/labextension tsconfig.tsbuildinfo \
	    $(WHEEL_VENV) $(GIT_VENV) $(MLFLOW_LOW_VENV) ui-tests/test-results ui-tests/playwright-report
