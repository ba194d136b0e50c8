# The tracking server of the team stack (compose.yaml): the official MLflow image
# plus the PostgreSQL driver and the S3 client that `mlflow server` needs for
# `--backend-store-uri postgresql+psycopg2://…` and `--artifacts-destination s3://…`.
#
# Every package this layer installs or may move is pinned, so a rebuild next month
# resolves the same versions (`make compose-smoke` installs exactly these into
# `mlflow==<the base image's version>` and runs the stack with them):
# - psycopg2-binary: the driver the URI names (SQLAlchemy 2.1 maps a bare
#   postgresql:// to psycopg 3, which this image does not have);
# - SQLAlchemy and Alembic: the store and its migrations on PostgreSQL;
# - boto3 with the botocore and s3transfer it resolved with (boto3 allows a
#   range of botocore releases).
ARG MLFLOW_IMAGE=ghcr.io/mlflow/mlflow:v3.17.0
FROM ${MLFLOW_IMAGE}

RUN pip install --no-cache-dir psycopg2-binary==2.9.13 sqlalchemy==2.1.9 alembic==1.20.1 \
        boto3==1.44.5 botocore==1.44.18 s3transfer==0.19.3 \
    && useradd --create-home --uid 10001 mlflow

# The server keeps nothing on local disk (runs in PostgreSQL, artifacts in S3).
USER 10001
