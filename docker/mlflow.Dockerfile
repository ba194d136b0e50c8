# The tracking server of the team stack (compose.yaml): the official MLflow image
# plus the PostgreSQL driver and the S3 client that `mlflow server` needs for
# `--backend-store-uri postgresql://…` and `--artifacts-destination s3://…`.
ARG MLFLOW_IMAGE=ghcr.io/mlflow/mlflow:v3.17.0
FROM ${MLFLOW_IMAGE}

RUN pip install --no-cache-dir psycopg2-binary==2.9.13 boto3==1.44.5 \
    && useradd --create-home --uid 10001 mlflow

# The server keeps nothing on local disk (runs in PostgreSQL, artifacts in S3).
USER 10001
