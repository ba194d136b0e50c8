"""S3 calls for the compose smoke run, made with the tracking server's own boto3.

Run by the ``.venv-compose-mlflow`` interpreter (the image's packages), not by
pytest's: it reads one JSON request on stdin::

    {"endpoint": URL, "key": ID, "secret": SECRET,
     "calls": [{"op": "list_objects_v2", "args": {"Bucket": "mlflow"}}, …]}

and prints one JSON answer per call: ``{"ok": true, "result": …}`` or
``{"ok": false, "code": "AccessDenied", "status": 403}``. Only boto3 is
imported; no retries, so a refusal is reported as it happened.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def main() -> int:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    request = json.load(sys.stdin)
    client = boto3.client(
        "s3",
        endpoint_url=request["endpoint"],
        aws_access_key_id=request["key"],
        aws_secret_access_key=request["secret"],
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    answers: list[dict[str, Any]] = []
    for call in request["calls"]:
        try:
            result = getattr(client, call["op"])(**call.get("args", {}))
        except ClientError as error:
            answers.append(
                {
                    "ok": False,
                    "code": error.response.get("Error", {}).get("Code", ""),
                    "status": error.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                }
            )
            continue
        result.pop("ResponseMetadata", None)
        if "Body" in result:
            result["Body"] = result["Body"].read().decode("utf-8", errors="replace")
        answers.append({"ok": True, "result": result})
    json.dump(answers, sys.stdout, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
