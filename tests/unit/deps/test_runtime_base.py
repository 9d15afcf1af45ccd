"""The runtime base's entries are found once, then read from the cache while nothing
they came from changed."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest

from serverlite.deps import runtime_base


def _no_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []
    found = importlib.metadata.distribution

    def distribution(name: str) -> importlib.metadata.Distribution:
        asked.append(name)
        return found(name)

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)
    return asked


def test_a_second_start_links_the_same_entries_without_looking_them_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = runtime_base.runtime_base(tmp_path)
    asked = _no_lookups(monkeypatch)
    assert runtime_base.runtime_base(tmp_path) == first
    assert asked == []
    assert (first / "botocore").is_dir()


def test_a_changed_record_makes_them_looked_up_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = runtime_base.runtime_base(tmp_path)
    memo = runtime_base.entries_memo(tmp_path)
    saved = json.loads(memo.read_text())
    saved["records"][0][1] += 1  # botocore's RECORD, as if upgraded in place
    memo.write_text(json.dumps(saved))
    asked = _no_lookups(monkeypatch)
    assert runtime_base.runtime_base(tmp_path) == first
    assert "botocore" in asked
    assert json.loads(memo.read_text())["records"] != saved["records"]


def test_the_directory_serverlite_is_started_from_does_not_matter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sys.path[0] is the working directory under `python -m`: another one finds the
    same distributions."""
    import sys

    first = runtime_base.runtime_base(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path / "elsewhere"), *sys.path[1:]])
    asked = _no_lookups(monkeypatch)
    assert runtime_base.runtime_base(tmp_path) == first
    assert asked == []


def test_another_environment_keeps_its_own_memo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """serverlite installed in two environments on one machine (two virtualenvs, each
    with its own site-packages) shares the cache: each start must not find the
    entries again because the other one started in between."""
    import sys

    first = runtime_base.runtime_base(tmp_path)
    ours = list(sys.path)
    other = [*ours, str(tmp_path / "other-venv" / "site-packages")]
    monkeypatch.setattr(sys, "path", other)
    runtime_base.runtime_base(tmp_path)  # the other environment's start
    monkeypatch.setattr(sys, "path", ours)
    asked = _no_lookups(monkeypatch)
    assert runtime_base.runtime_base(tmp_path) == first
    assert asked == []
