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
# The recipes name their venvs; one activated in the caller's shell (another
# checkout's) must not leak into them (IPython warns about it as an error).
unexport VIRTUAL_ENV
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# yarn asks the same registry npm is configured with on this machine.
YARN_NPM_REGISTRY_SERVER ?= $(shell npm config get registry 2>/dev/null)
export YARN_NPM_REGISTRY_SERVER

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
FRONTEND_SOURCES := $(shell find src style schema -type f 2>/dev/null) package.json tsconfig.json
WHEEL_SOURCES := $(FRONTEND_SOURCES) $(shell find jupyterlab_repro -name '*.py' -not -path '*/labextension/*' 2>/dev/null) \
	$(shell find jupyter-config -type f 2>/dev/null) install.json pyproject.toml yarn.lock README.md LICENSE

.PHONY: help install build lab test test-steps lint docs docs-serve pytest jest wheel wheel-venv git-venv system-deps \
	mlflow-server-venv mlflow-low-venv mlflow-matrix ui-deps ui-test ui-test-git screenshots bench clean

help:
	@sed -n '3,8p' Makefile | sed 's/^# \{0,1\}//'

# --- install ---------------------------------------------------------------

# Each timed step writes when it began and ended; `.ci/run` prints the table
# (.ci/steps.py) at the end of `make test`, on success and on failure.
STEPS := $(STAMPS)/steps
begin = @mkdir -p $(STEPS) && rm -f $(STEPS)/$(1).end && date +%s.%N > $(STEPS)/$(1).begin
end = @date +%s.%N > $(STEPS)/$(1).end

$(STAMPS):
	mkdir -p $(STAMPS)

# Every venv is made and filled by uv (pip's resolver and byte-compiling cost
# ~45 s a venv here; uv takes seconds, and downloads each wheel once for all
# venvs). uv itself comes from pip into .venv, the first venv made. uv never
# downloads a Python: venvs use $(PYTHON).
UV := $(CURDIR)/$(VENV)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
# A new venv at $(1) with uv, for $(PYTHON).
new_venv = rm -rf $(1) && $(UV) venv -q --python "$$(command -v $(PYTHON))" $(1)
uv_install = $(UV) pip install -q --python $(1)/bin/python

$(UV): | $(STAMPS)
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q uv
	@touch $@

# The venv with the project (editable, with its test and demo extras) and the
# JS dependencies. The frontend is built by `make build` (make lab), not here:
# `make test` builds it once, for the wheel.
$(STAMPS)/venv: pyproject.toml package.json yarn.lock | $(UV)
	$(call begin,install)
	# A production build leaves install.json in the labextension folder, which
	# pyproject.toml also maps on its own: hatchling refuses the duplicate.
	rm -f jupyterlab_repro/labextension/install.json
	SKIP_JUPYTER_BUILDER=1 $(call uv_install,$(VENV)) -e ".[test,demo,docs]"
	jlpm install --immutable
	touch $@
	$(call end,install)

install: $(STAMPS)/venv

# The development build of the frontend, linked into .venv (make lab).
$(STAMPS)/frontend: $(STAMPS)/venv $(FRONTEND_SOURCES)
	jlpm build
	jupyter labextension develop --overwrite . >/dev/null
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

# `make test` runs its steps two at a time (TEST_JOBS), each step's output
# together when it ends; the pytest suites spread over PYTEST_WORKERS
# processes, the UI tests over UI_WORKERS browsers. `make pytest`, `make jest`,
# `make ui-test` … run one suite alone.
TEST_JOBS ?= 2
PYTEST_WORKERS ?= 2
UI_WORKERS ?= 2

test:
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target test-steps

# The UI tests take longest: they start first, as soon as their labs are
# installed; pytest, the matrix, the compose smoke run, lint and jest wait for
# those installs (order-only, in `make test` only: a free slot never goes to
# them while the UI tests' venvs wait), then run one at a time beside them.
test-steps: ui-test pytest mlflow-matrix compose-smoke lint jest docs
UI_FIRST := | $(STAMPS)/wheel-venv $(STAMPS)/git-venv $(STAMPS)/ui-deps

lint: install $(if $(filter test-steps,$(MAKECMDGOALS)),$(UI_FIRST))
	$(call begin,lint)
	ruff check .
	ruff format --check .
	mypy
	jlpm lint:check
	$(call end,lint)

# pytest-xdist: PYTEST_WORKERS processes; a module's tests stay in one of them
# (--dist loadscope: module fixtures such as a live `mlflow server` start once).
# Tests marked `alone` (they measure time or load the machine) run afterwards,
# one at a time, with nothing else of the suite beside them.
PYTEST_ARGS ?=
pytest: install system-deps mlflow-server-venv $(if $(filter test-steps,$(MAKECMDGOALS)),$(UI_FIRST))
	$(call begin,pytest)
	pytest -n $(PYTEST_WORKERS) --dist loadscope -m "not alone" $(PYTEST_ARGS)
	pytest -m alone $(PYTEST_ARGS)
	$(call end,pytest)

jest: install $(if $(filter test-steps,$(MAKECMDGOALS)),$(UI_FIRST))
	$(call begin,jest)
	jlpm test
	$(call end,jest)

# The wheel exactly as `pip install .` builds it: an isolated build (uv makes
# the build environment from pyproject.toml's build-system), the production
# frontend. The one frontend build of `make test`; every venv that needs the
# extension installs this wheel.
wheel: $(STAMPS)/wheel

$(STAMPS)/wheel: $(STAMPS)/venv $(WHEEL_SOURCES)
	$(call begin,wheel)
	rm -rf dist jupyterlab_repro/labextension
	$(UV) build -q --wheel --out-dir dist .
	@ls dist/*.whl
	# The editable .venv's development build went with it: `make build` (and
	# so `make lab`) makes it again when asked.
	rm -f $(STAMPS)/frontend
	touch $@
	$(call end,wheel)

WHEEL = $$(ls $(CURDIR)/dist/*.whl)

# A clean venv with only the wheel (and the demo extra the UI tests run):
# a file missing from the wheel fails here, not on a user's machine.
wheel-venv: $(STAMPS)/wheel-venv

$(STAMPS)/wheel-venv: $(STAMPS)/wheel
	$(call begin,wheel-venv)
	$(call new_venv,$(WHEEL_VENV))
	$(call uv_install,$(WHEEL_VENV)) "$(WHEEL)[demo]"
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
	touch $@
	$(call end,wheel-venv)

# Beside jupyterlab-git (it brings nbdime), as the Docker Stacks images ship
# it: a second clean venv from the same wheel.
JUPYTERLAB_GIT := jupyterlab-git==0.55.0

git-venv: $(STAMPS)/git-venv

$(STAMPS)/git-venv: $(STAMPS)/wheel
	$(call begin,git-venv)
	$(call new_venv,$(GIT_VENV))
	$(call uv_install,$(GIT_VENV)) "$(WHEEL)[demo]" "$(JUPYTERLAB_GIT)"
	@out=$$($(GIT_VENV)/bin/jupyter labextension list 2>&1); echo "$$out"; \
	    for ext in jupyterlab-repro @jupyterlab/git nbdime-jupyterlab; do \
	        echo "$$out" | grep -E "$$ext v[0-9.]+.*enabled.*OK" >/dev/null \
	        || { echo "git-venv: labextension $$ext is not enabled" >&2; exit 1; }; \
	    done
	touch $@
	$(call end,git-venv)

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
	    mkdir -p $(STEPS) && date +%s.%N > $(STEPS)/system-deps.begin; \
	    echo "Installing $(strip $(APT_MISSING)) with apt-get…"; \
	    { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      $(SUDO) apt-get install -y -qq $(strip $(APT_MISSING)) >/dev/null; } \
	    || { echo "make test: cannot install '$(strip $(APT_MISSING))' with apt-get;" \
	              "install them (Playwright uses /usr/bin/chromium) and re-run." >&2; exit 1; }; \
	    date +%s.%N > $(STEPS)/system-deps.end; \
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
	$(call begin,mlflow-server-venv)
	@want=$$($(VENV)/bin/python $(MLFLOW_VERSION_OF) mlflow-skinny); \
	    have=$$($(MLFLOW_SERVER_VENV)/bin/python -c "import psycopg2, mlflow.server" 2>/dev/null \
	        && cat $(MLFLOW_SERVER_VENV)/.for-mlflow-skinny 2>/dev/null || true); \
	    if [ "$$have" != "$$want" ]; then \
	        echo "Installing mlflow<=$$want into $(MLFLOW_SERVER_VENV) (the live mlflow server tests)…"; \
	        $(call new_venv,$(MLFLOW_SERVER_VENV)); \
	        $(call uv_install,$(MLFLOW_SERVER_VENV)) "mlflow<=$$want" psycopg2-binary \
	            && echo "$$want" > $(MLFLOW_SERVER_VENV)/.for-mlflow-skinny \
	            && echo "mlflow $$($(MLFLOW_SERVER_VENV)/bin/python $(MLFLOW_VERSION_OF) mlflow) serves the client mlflow-skinny $$want"; \
	    fi
	@touch $@
	$(call end,mlflow-server-venv)

# The MLflow matrix: .venv runs every suite with the newest mlflow-skinny that
# resolves; .venv-mlflow-low runs the tests that touch MLflow (marker
# `mlflow`, set by tests/conftest.py) with the lowest one pyproject.toml
# allows (">=2.16" pins 2.16, which reads as 2.16.0). The project is
# installed editable from this tree without a frontend (these tests use only
# the server side). The live `mlflow server` stays .venv-mlflow-server's (the
# newest): the low client talks to it over REST, as an older lab does to a
# team server.
MLFLOW_LOWEST = $(shell sed -n 's/^ *"mlflow-skinny>=\([0-9.]*\).*/\1/p' pyproject.toml)

mlflow-low-venv: $(STAMPS)/mlflow-low-venv

$(STAMPS)/mlflow-low-venv: pyproject.toml | $(STAMPS)/venv
	$(call begin,mlflow-low-venv)
	@test -n "$(MLFLOW_LOWEST)" || { echo "no mlflow-skinny>=… bound in pyproject.toml" >&2; exit 1; }
	$(call new_venv,$(MLFLOW_LOW_VENV))
	rm -f jupyterlab_repro/labextension/install.json
	SKIP_JUPYTER_BUILDER=1 $(call uv_install,$(MLFLOW_LOW_VENV)) \
	    -e ".[test]" "mlflow-skinny==$(MLFLOW_LOWEST)"
	touch $@
	$(call end,mlflow-low-venv)

mlflow-matrix: $(STAMPS)/mlflow-low-venv system-deps mlflow-server-venv $(if $(filter test-steps,$(MAKECMDGOALS)),$(UI_FIRST))
	$(call begin,mlflow-matrix)
	@$(MLFLOW_LOW_VENV)/bin/python $(MLFLOW_VERSION_OF) mlflow-skinny
	PATH="$(CURDIR)/$(MLFLOW_LOW_VENV)/bin:$$PATH" $(MLFLOW_LOW_VENV)/bin/python -m pytest \
	    -q -x -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadscope -m "mlflow and not alone"
	PATH="$(CURDIR)/$(MLFLOW_LOW_VENV)/bin:$$PATH" $(MLFLOW_LOW_VENV)/bin/python -m pytest \
	    -q -x -p no:cacheprovider -m "mlflow and alone"
	$(call end,mlflow-matrix)

ui-deps: $(STAMPS)/ui-deps

$(STAMPS)/ui-deps: ui-tests/package.json ui-tests/yarn.lock | system-deps $(STAMPS)/venv
	$(call begin,ui-deps)
	cd ui-tests && jlpm install --immutable
	touch $@
	$(call end,ui-deps)

# The UI tests: one Playwright run, two labs, each a project
# (ui-tests/playwright.config.js): `lab` from the wheel alone (every spec but
# the @coexist ones), `lab+git` from the wheel beside jupyterlab-git (the
# @coexist spec and the specs of the sidebar and snapshot). Each lab listens
# on a free port. UI_ARGS reaches Playwright (`UI_ARGS=--project=lab`, a spec
# file, `--grep …`).
FREE_PORT = $(PYTHON) -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
UI_ARGS ?=
ui_env = REPRO_UI_WORKERS=$(UI_WORKERS) \
	REPRO_UI_VENV="$(CURDIR)/$(WHEEL_VENV)" REPRO_UI_PORT=$${REPRO_UI_PORT:-$$($(FREE_PORT))}

ui-test: $(STAMPS)/ui-deps $(STAMPS)/wheel-venv $(STAMPS)/git-venv
	$(call begin,ui-test)
	cd ui-tests && $(ui_env) REPRO_UI_GIT_VENV="$(CURDIR)/$(GIT_VENV)" \
	    REPRO_UI_GIT_PORT=$${REPRO_UI_GIT_PORT:-$$($(FREE_PORT))} jlpm playwright test $(UI_ARGS)
	$(call end,ui-test)

# The jupyterlab-git project alone.
ui-test-git: UI_ARGS := --project=lab+git $(UI_ARGS)
ui-test-git: ui-test

# The README's pictures: the UI tests that take them (titles tagged
# @screenshot) write ui-tests/screenshots/ (ignored); this copies them into
# docs/images/. make test never writes a tracked file.
screenshots: $(STAMPS)/wheel-venv $(STAMPS)/ui-deps
	rm -rf ui-tests/screenshots
	cd ui-tests && $(ui_env) jlpm playwright test --project=lab --grep @screenshot
	cp ui-tests/screenshots/*.png docs/images/
	@git status --short docs/images

include docker/smoke.mk

# --- make docs -------------------------------------------------------------

# The documentation site (docs/, Sphinx + MyST + pydata-sphinx-theme), with
# warnings as errors (a broken internal link or reference is one), then a
# check that the generated references cover the code (tests/docs). In
# `make test` it runs after the UI tests and shows their screenshots.
DOCS_BUILD := docs/_build
docs: install $(if $(filter test-steps,$(MAKECMDGOALS)),| ui-test)
	$(call begin,docs)
	rm -rf $(DOCS_BUILD) docs/_generated
	sphinx-build -W --keep-going -n -q -b html docs $(DOCS_BUILD)/html
	REPRO_DOCS_HTML=$(CURDIR)/$(DOCS_BUILD)/html pytest -q -p no:cacheprovider tests/docs
	@echo "docs: $(DOCS_BUILD)/html/index.html"
	$(call end,docs)

# Rebuild on change and serve on 127.0.0.1 (DOCS_PORT, 8000 by default).
DOCS_PORT ?= 8000
docs-serve: install
	$(call uv_install,$(VENV)) -q sphinx-autobuild
	sphinx-autobuild --host 127.0.0.1 --port $(DOCS_PORT) docs $(DOCS_BUILD)/html

# --- make bench (not part of make test) -----------------------------------

# `python -m bench` (bench/: one module per feature, bench/README.md). ONLY=status,export
# runs those features (or BENCH_ARGS="--only status,export"); BENCH_ARGS passes any other
# option (--quick, --reps N …). `python -m bench --help` lists the features.
ONLY ?=

bench: install
	$(call uv_install,$(VENV)) nbstripout nbconvert
	$(VENV)/bin/python -m bench $(if $(ONLY),--only $(ONLY)) $(BENCH_ARGS)

clean:
	rm -rf $(STAMPS) dist lib jupyterlab_repro/labextension tsconfig.tsbuildinfo \
	    $(WHEEL_VENV) $(GIT_VENV) $(MLFLOW_LOW_VENV) $(COMPOSE_MLFLOW_VENV) $(COMPOSE_S3_VENV) \
	    ui-tests/test-results ui-tests/playwright-report
