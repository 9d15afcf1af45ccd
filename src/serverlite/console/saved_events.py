"""Saved test events: named events per function, kept in the state directory.

The Lambda console keeps a function's shareable test events in the EventBridge
Schemas registry ``lambda-testevent-schemas`` (one schema ``_<function>-schema`` whose
OpenAPI document holds each event under ``components.examples.<name>.value``) and
private ones per console user. serverlite has no Schemas service, so the console
keeps them in one file, ``<state>/console/test-events.json`` (``{function: {name:
event}}``): they survive restarts like the rest of the state and are visible to
whoever opens the console (there are no users); `sam remote test-event` and the
Schemas API do not see them. Names follow the Lambda console's rule: up to 25
letters, digits, dots, hyphens and underscores.

Each save writes a new file and renames it over the old one, so a crash leaves the
previous events or the new ones, never half a file.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

NAME = re.compile(r"^[A-Za-z0-9._-]{1,25}$")
FILE = Path("console") / "test-events.json"


class SavedEventError(ValueError):
    """A name or an event the console cannot save (said on the page)."""


class SavedEvents:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILE
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            found = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        return found if isinstance(found, dict) else {}

    def _write(self, events: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(mode=0o700, exist_ok=True)
        fresh = self.path.with_name(self.path.name + ".new")
        with open(fresh, "w") as out:
            json.dump(events, out, indent=2, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(fresh, self.path)

    def names(self, function: str) -> list[str]:
        return sorted(self._read().get(function, {}))

    def get(self, function: str, name: str) -> Any:
        """The saved event, or None."""
        return self._read().get(function, {}).get(name)

    def save(self, function: str, name: str, text: str) -> None:
        if not NAME.match(name):
            raise SavedEventError(
                "an event name is 1 to 25 letters, digits, dots, hyphens or underscores"
            )
        try:
            event = json.loads(text or "{}")
        except ValueError as exc:
            raise SavedEventError(f"the event is not JSON: {exc}") from None
        with self._lock:
            events = self._read()
            events.setdefault(function, {})[name] = event
            self._write(events)

    def delete(self, function: str, name: str) -> bool:
        with self._lock:
            events = self._read()
            if name not in events.get(function, {}):
                return False
            del events[function][name]
            if not events[function]:
                del events[function]
            self._write(events)
        return True
