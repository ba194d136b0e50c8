"""The lab as a user's browser uses it: REST with the token, kernels over their websocket.

JupyterLab opens a notebook with ``POST /api/sessions`` (path, name, kernel) and
runs cells over ``/api/kernels/<id>/channels``: Jupyter messages as JSON, with
``metadata.cellId`` on each ``execute_request``. ``websocket-client`` (a
dependency of jupyter_server) speaks it here, synchronously.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import websocket

EXECUTE_TIMEOUT = 300.0  # a cold `import mlflow` and the first run on a loaded 2-core machine


@dataclass
class Answer:
    code: int
    body: Any


class Lab:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(
        self,
        method: str,
        path: str,
        params: list[tuple[str, str]] | dict[str, str] | None = None,
        body: Any = None,
        timeout: float = 120.0,
        token: bool = True,
    ) -> Answer:
        url = f"{self.url}/{path.lstrip('/')}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"token {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                raw = response.read()
                code = response.status
        except urllib.error.HTTPError as error:
            raw = error.read()
            code = error.code
            error.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Answer(code, parsed)

    def ok(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        answer = self.call(method, path, **kwargs)
        assert answer.code == expect, f"{method} {path}: {answer.code} {answer.body}"
        return answer.body

    def open_notebook(self, path: str, name: str) -> Kernel:
        """``POST /api/sessions`` as JupyterLab does, and a websocket to its kernel."""
        model = {"path": path, "name": name, "type": "notebook", "kernel": {"name": "python3"}}
        session = self.ok("POST", "api/sessions", expect=201, body=model)
        return Kernel(self, session["kernel"]["id"], session["id"])


class Kernel:
    def __init__(self, lab: Lab, kernel_id: str, session_id: str) -> None:
        self.lab = lab
        self.kernel_id = kernel_id
        self.session_id = session_id
        self.client_session = uuid.uuid4().hex
        ws_url = lab.url.replace("http://", "ws://", 1)
        self.ws = websocket.create_connection(
            f"{ws_url}/api/kernels/{kernel_id}/channels?session_id={self.client_session}",
            header=[f"Authorization: token {lab.token}"],
            timeout=EXECUTE_TIMEOUT,
        )

    def close(self) -> None:
        self.ws.close()
        self.lab.call("DELETE", f"api/sessions/{self.session_id}")

    def run(self, code: str, cell_id: str) -> str:
        """Execute a cell; its stdout. Fails with the traceback when the cell raises."""
        msg_id = uuid.uuid4().hex
        message = {
            "header": {
                "msg_id": msg_id,
                "msg_type": "execute_request",
                "username": "smoke",
                "session": self.client_session,
                "date": datetime.now(timezone.utc).isoformat(),
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": {"cellId": cell_id},
            "content": {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
            "channel": "shell",
            "buffers": [],
        }
        self.ws.send(json.dumps(message))
        out: list[str] = []
        errors: list[str] = []
        idle = replied = False
        status = None
        while not (idle and replied):
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                (out if msg["content"]["name"] == "stdout" else errors).append(
                    msg["content"]["text"]
                )
            elif kind == "error":
                errors.append("\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                replied = True
                status = msg["content"]["status"]
        assert status == "ok", "".join(errors)
        return "".join(out)
