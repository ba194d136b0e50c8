"""Release a run: an annotated git tag at the code it ran, carrying its metrics.

:func:`release_run` tags the run's commit — for a run with uncommitted or
unsaved changes, its hidden snapshot commit, which the tag then keeps
reachable — with an annotation a script can parse (:func:`parse_release`):
a subject line, a blank line, ``key: value`` lines (run, experiment,
notebook, commit, metrics, params, environment, image), a blank line and the
user's text. With ``model_card`` a small follow-up commit on top of that
commit adds ``MODEL_CARD.md`` (built in a temporary index: the working copy
and branches are untouched) and the tag points at it. The run gets the
MLflow tag ``repro.release=<name>``. A failure after the tag was made
deletes it again.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..deadline import Deadline
from ..errors import InvalidRequest
from ..git.lock import repository_lock
from ..git.objects import commit_tree, delete_ref, staging, write_blob
from ..git.refs import TAGS, check_new_ref
from ..git.repository import git_dir, require_repository
from ..git.revisions import require_commit
from ..git.runner import Git
from ..git.tags import write_annotated_tag
from ..inputs import MAX_MESSAGE, check_optional_text
from ..tags import (
    GIT_COMMIT,
    REPRO_ENV_PREFIX,
    REPRO_IMAGE,
    REPRO_NOTEBOOK,
    REPRO_RELEASE,
    REPRO_SNAPSHOT,
)
from ..tracking.store import TrackingService

#: Seconds a release may take when the caller gives no deadline.
RELEASE_TIMEOUT = 60.0
MODEL_CARD = "MODEL_CARD.md"

_FIELD = re.compile(r"^([^:\n]+): (.*)$")
_ESCAPE = re.compile(r"\\(.)")


def _unescape(match: re.Match[str]) -> str:
    return "\n" if match.group(1) == "n" else match.group(1)


@dataclass
class ReleaseResult:
    tag: str
    commit: str  # what the tag points at
    code: str  # the run's code commit (its snapshot for a snapshot run)
    snapshot: bool
    model_card: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def release_message(run: dict[str, Any], name: str, text: str | None = None) -> str:
    """The tag's annotation for ``run`` (see the module docs for its layout)."""
    tags = run["all_tags"]
    fields: list[tuple[str, Any]] = [
        ("run_id", run["run_id"]),
        ("run_name", run["run_name"]),
        ("experiment", run["experiment_name"] or run["experiment_id"]),
        ("experiment_id", run["experiment_id"]),
        ("notebook", tags.get(REPRO_NOTEBOOK)),
        ("commit", tags.get(GIT_COMMIT)),
        ("snapshot", tags.get(REPRO_SNAPSHOT)),
        ("status", run["status"]),
    ]
    fields += [(f"metric.{k}", _number(v)) for k, v in sorted(run["metrics"].items())]
    fields += [(f"param.{k}", v) for k, v in sorted(run["params"].items())]
    fields += [
        (f"env.{k.removeprefix(REPRO_ENV_PREFIX)}", v)
        for k, v in sorted(tags.items())
        if k.startswith(REPRO_ENV_PREFIX)
    ]
    fields += [("image", tags.get(REPRO_IMAGE)), ("url", run.get("url"))]
    metrics = ", ".join(f"{k} {_number(v)}" for k, v in sorted(run["metrics"].items())[:3])
    subject = f"Release {name}: run {run['run_name'] or run['run_id'][:8]}"
    subject += f" ({metrics})" if metrics else ""
    lines = [subject, ""]
    lines += [f"{key}: {_one_line(value)}" for key, value in fields if value not in (None, "")]
    if text and text.strip():
        lines += ["", text.strip()]
    return "\n".join(lines) + "\n"


def parse_release(message: str) -> dict[str, Any]:
    """``{"subject", "fields": {key: value}, "text"}`` of a :func:`release_message`."""
    lines = message.split("\n")
    subject = lines[0] if lines else ""
    fields: dict[str, str] = {}
    i = 2
    while i < len(lines) and lines[i]:
        match = _FIELD.match(lines[i])
        if match is None:
            break
        fields[match.group(1)] = _ESCAPE.sub(_unescape, match.group(2))
        i += 1
    return {"subject": subject, "fields": fields, "text": "\n".join(lines[i + 1 :]).strip()}


def model_card(run: dict[str, Any], name: str, commit: str) -> str:
    """``MODEL_CARD.md`` for a release: what is known filled in, the rest left to the author."""
    tags = run["all_tags"]
    out = [f"# Model card: {name}", ""]
    out += [
        f"Released from run `{run['run_id']}`"
        + (f" ({run['run_name']})" if run["run_name"] else "")
        + f" of experiment {run['experiment_name'] or run['experiment_id']}.",
        "",
        f"- Code: commit `{commit}`"
        + (f", notebook `{tags[REPRO_NOTEBOOK]}`" if tags.get(REPRO_NOTEBOOK) else ""),
    ]
    if tags.get(REPRO_IMAGE):
        out.append(f"- Image: `{tags[REPRO_IMAGE]}`")
    if run.get("url"):
        out.append(f"- Run: {run['url']}")
    out += ["", "## Metrics", "", "| metric | value |", "| --- | --- |"]
    out += [f"| {_cell(k)} | {_number(v)} |" for k, v in sorted(run["metrics"].items())]
    out += ["", "## Parameters", "", "| param | value |", "| --- | --- |"]
    out += [f"| {_cell(k)} | {_cell(v)} |" for k, v in sorted(run["params"].items())]
    env = sorted(
        (k.removeprefix(REPRO_ENV_PREFIX), v)
        for k, v in tags.items()
        if k.startswith(REPRO_ENV_PREFIX)
    )
    out += ["", "## Environment", "", "| | |", "| --- | --- |"]
    out += [f"| {_cell(k)} | {_cell(v)} |" for k, v in env]
    for section in ("Data", "Intended use", "Limitations"):
        out += ["", f"## {section}", "", "_To be written by the model's authors._"]
    return "\n".join(out) + "\n"


def release_run(
    service: TrackingService,
    run_id: str,
    name: str,
    *,
    repo_root: str | Path,
    message: str | None = None,
    with_model_card: bool = False,
    deadline: Deadline | None = None,
) -> ReleaseResult:
    """Tag the code of ``run_id`` as ``name`` (see the module docs)."""
    deadline = deadline or Deadline(RELEASE_TIMEOUT, "the release")
    check_optional_text(message, "message", max_length=MAX_MESSAGE, multiline=True)
    root = require_repository(repo_root, deadline=deadline)
    git = Git(root, deadline)
    full = check_new_ref(git, TAGS, name)
    run = service.get_run(run_id, deadline=deadline)
    if not run.get("code"):
        raise InvalidRequest(
            f"Run {run_id} was not started from a notebook in a repository: its code is unknown."
        )
    code = require_commit(git, run["code"], what="commit", hint=" (fetch it first)")
    annotation = release_message(run, name, message)
    with repository_lock(git):
        full = check_new_ref(git, TAGS, name)  # again: another release may have taken it
        target = code
        if with_model_card:
            target = _commit_model_card(git, code, model_card(run, name, code), name)
        write_annotated_tag(git, name, target, annotation)
    try:
        service.set_tag(run_id, REPRO_RELEASE, name, deadline=deadline)
    except BaseException:
        delete_ref(Git(root, Deadline(10.0, "undoing the release")), full)
        raise
    return ReleaseResult(
        tag=name,
        commit=target,
        code=code,
        snapshot=bool(run.get("snapshot")),
        model_card=with_model_card,
        message=annotation,
    )


def _commit_model_card(git: Git, parent: str, card: str, name: str) -> str:
    """A commit of ``parent``'s tree plus ``MODEL_CARD.md`` (the working copy is not touched)."""
    with staging(git, git_dir(git)) as staged:
        staged.read_tree(parent)
        staged.set_entries([("100644", write_blob(git, card.encode("utf-8")), MODEL_CARD)])
        tree = staged.write_tree()
    # As the user, who tags it next (a tag needs a tagger): no default identity here.
    message = f"docs: model card for release {name}"
    return commit_tree(git, tree, [parent], message, fallback_identity=False)


def _one_line(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "")


def _cell(value: Any) -> str:
    return _one_line(value).replace("|", "\\|")


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)
