"""The saved test events' file: per function, named as the Lambda console allows,
replaced whole on each save (no half-written file), kept across instances."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverlite.console.saved_events import SavedEventError, SavedEvents

pytestmark = [pytest.mark.integration]


def test_events_are_kept_per_function_across_instances(tmp_path: Path) -> None:
    SavedEvents(tmp_path).save("f1", "a.b-c_1", '{"x": 1}')
    SavedEvents(tmp_path).save("f2", "a.b-c_1", "[2]")
    again = SavedEvents(tmp_path)
    assert again.names("f1") == ["a.b-c_1"]
    assert again.get("f1", "a.b-c_1") == {"x": 1}
    assert again.get("f2", "a.b-c_1") == [2]
    assert again.get("f1", "missing") is None
    assert [p.name for p in (tmp_path / "console").iterdir()] == ["test-events.json"]


@pytest.mark.parametrize("name", ["", "x" * 26, "has space", "slash/name", "ümlaut"])
def test_names_follow_the_lambda_console_rule(tmp_path: Path, name: str) -> None:
    with pytest.raises(SavedEventError):
        SavedEvents(tmp_path).save("f", name, "{}")


def test_an_event_must_be_json(tmp_path: Path) -> None:
    with pytest.raises(SavedEventError, match="not JSON"):
        SavedEvents(tmp_path).save("f", "bad", "{nope")
    assert SavedEvents(tmp_path).names("f") == []


def test_delete_removes_the_function_when_its_last_event_goes(tmp_path: Path) -> None:
    events = SavedEvents(tmp_path)
    events.save("f", "one", "{}")
    assert not events.delete("f", "two")
    assert events.delete("f", "one")
    assert (tmp_path / "console" / "test-events.json").read_text().strip() == "{}"
