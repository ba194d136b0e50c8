"""repo_config: the repository's own cleaning rules from pyproject.toml / .jupyterlab-repro.toml."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from jupyterlab_repro.commit.rules import (
    DEFAULT_MAX_FILE_MB,
    RepoConfig,
    load_repo_config,
    parse_repo_config,
)
from jupyterlab_repro.errors import ConfigInvalid
from jupyterlab_repro.notebook.clean import CleanConfig, clean_text

PYPROJECT = """\
[project]
name = "demo"

[tool.ruff]
line-length = 100

[tool.jupyterlab-repro]
drop-keys = ["cell.metadata.slideshow"]
keep-keys = ["cell.metadata.collapsed"]
keep-output-tag = "pin"
max-output-bytes = 2048
max-file-mb = 25

[tool.jupyterlab-repro.export]
directory = "src"
"""


def test_no_configuration_gives_defaults(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    config = load_repo_config(repo)
    assert config == RepoConfig()
    assert config.clean == CleanConfig()
    assert config.max_file_mb == DEFAULT_MAX_FILE_MB == 10
    assert config.source is None


def test_pyproject_without_our_table_gives_defaults(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"pyproject.toml": '[project]\nname = "x"\n[tool.ruff]\nfix = true\n'})
    assert load_repo_config(repo) == RepoConfig()


def test_pyproject_table_read(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"pyproject.toml": PYPROJECT})
    config = load_repo_config(repo)
    assert config.clean == CleanConfig(
        drop_keys=("cell.metadata.slideshow",),
        keep_keys=("cell.metadata.collapsed",),
        keep_output_tag="pin",
        max_output_bytes=2048,
    )
    assert config.max_file_mb == 25.0
    assert config.export == {"directory": "src"}
    assert config.source == repo / "pyproject.toml"
    assert json.loads(json.dumps(config.to_dict()))["keep_output_tag"] == "pin"


def test_dedicated_file_wins_over_pyproject(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        files={
            "pyproject.toml": PYPROJECT,
            ".jupyterlab-repro.toml": 'keep-output-tag = "show"\n',
        }
    )
    config = load_repo_config(repo)
    # no merging: everything not in the dedicated file is the default
    assert config.clean == CleanConfig(keep_output_tag="show")
    assert config.max_file_mb == DEFAULT_MAX_FILE_MB
    assert config.source == repo / ".jupyterlab-repro.toml"


def test_snake_case_and_false_values(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        files={".jupyterlab-repro.toml": "keep_output_tag = false\nmax_output_bytes = false\n"}
    )
    clean = load_repo_config(repo).clean
    assert clean.keep_output_tag is None and clean.max_output_bytes is None


def test_unknown_keys_warn_but_load(
    make_repo: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    repo = make_repo(files={".jupyterlab-repro.toml": "max-file-mb = 3\nstrip-everything = true\n"})
    with caplog.at_level(logging.WARNING, logger="jupyterlab_repro.commit.rules"):
        config = load_repo_config(repo)
    assert config.max_file_mb == 3.0
    assert any("'strip-everything'" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('drop-keys = "cell.metadata.x"', "drop-keys must be a list of non-empty strings"),
        ("keep-keys = [1]", "keep-keys must be a list of non-empty strings"),
        ('drop-keys = ["outputs"]', "must start with 'metadata.'"),
        ("keep-output-tag = 3", "keep-output-tag must be a non-empty string or false"),
        ('keep-output-tag = ""', "keep-output-tag must be a non-empty string or false"),
        ("keep-output-tag = true", "keep-output-tag must be a non-empty string or false"),
        ("max-output-bytes = -5", "max-output-bytes must be a non-negative integer or false"),
        ('max-output-bytes = "1MB"', "max-output-bytes must be a non-negative integer or false"),
        ("max-file-mb = 0", "max-file-mb must be a positive number"),
        ('nbstripout-markers = "yes"', "nbstripout-markers must be true or false"),
        ("nbstripout-markers = 1", "nbstripout-markers must be true or false"),
        ("max-file-mb = true", "max-file-mb must be a positive number"),
        ('export = "src"', "export must be a table"),
        ("max-file-mb = 1\nmax_file_mb = 2", "given twice"),
    ],
)
def test_wrong_types_are_clear_errors(
    make_repo: Callable[..., Path], body: str, fragment: str
) -> None:
    repo = make_repo(files={".jupyterlab-repro.toml": body + "\n"})
    with pytest.raises(ConfigInvalid) as info:
        load_repo_config(repo)
    assert fragment in str(info.value)
    assert ".jupyterlab-repro.toml" in str(info.value)


def test_wrong_type_in_pyproject_names_the_file(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"pyproject.toml": "[tool.jupyterlab-repro]\nmax-file-mb = 'big'\n"})
    with pytest.raises(ConfigInvalid, match=r"pyproject\.toml: max-file-mb must be"):
        load_repo_config(repo)


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("pyproject.toml", "[tool.jupyterlab-repro\nx = 1\n"),
        (".jupyterlab-repro.toml", "max-file-mb = \n"),
        ("pyproject.toml", 'tool = "not a table"\n'),
        ("pyproject.toml", "[tool]\njupyterlab-repro = 5\n"),
    ],
)
def test_unreadable_configuration(make_repo: Callable[..., Path], name: str, body: str) -> None:
    repo = make_repo(files={name: body})
    with pytest.raises(ConfigInvalid) as info:
        load_repo_config(repo)
    assert name in str(info.value)


def test_invalid_utf8_configuration(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    (repo / ".jupyterlab-repro.toml").write_bytes(b"max-file-mb = 1 # \xff\n")
    with pytest.raises(ConfigInvalid, match="jupyterlab-repro.toml"):
        load_repo_config(repo)


def test_parse_without_a_file() -> None:
    config = parse_repo_config({"max-file-mb": 2.5, "keep-output-tag": "k"})
    assert config.max_file_mb == 2.5 and config.clean.keep_output_tag == "k"
    assert config.source is None


def test_repository_rules_drive_cleaning(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(files={"pyproject.toml": PYPROJECT})
    clean = load_repo_config(repo).clean
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "a",
                "metadata": {"collapsed": True, "slideshow": {"slide_type": "-"}, "tags": ["pin"]},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": "x" * 3000}],
                "source": "print('x' * 3000)",
            },
            {
                "cell_type": "code",
                "execution_count": 2,
                "id": "b",
                "metadata": {"tags": ["keep-output"]},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": "y\n"}],
                "source": "print('y')",
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    text, report = clean_text(json.dumps(nb), clean)
    cells = json.loads(text)["cells"]
    assert cells[0]["metadata"] == {"collapsed": True, "tags": ["pin"]}
    assert cells[0]["outputs"] == []  # kept cell, but its one output is over 2048 bytes
    assert report.kept_outputs_over_limit[0].cell_id == "a"
    assert cells[1]["outputs"] == []  # the default tag is not this repository's tag


def test_nbstripout_markers_can_be_turned_off() -> None:
    assert parse_repo_config({}).clean.nbstripout_markers is True
    config = parse_repo_config({"nbstripout_markers": False})
    assert config.clean.nbstripout_markers is False
    assert config.to_dict()["nbstripout_markers"] is False
