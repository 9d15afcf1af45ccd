"""The function URLs that exist: the template's, and those the Lambda API creates.

The template's are made again at each start (as a deploy would); those created through
CreateFunctionUrlConfig are kept in ``<state>/lambda.db`` and served again after a
restart, on a port from the operating system. Whoever serves them (``server.py``) is
told of each change.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import string
import time
from collections.abc import Callable
from pathlib import Path

from serverlite import state
from serverlite.function_urls.model import UrlConfig, cors_document, cors_spec, template_urls
from serverlite.template.model import Application

_ALPHABET = string.ascii_lowercase + string.digits
_SCHEMA = """
CREATE TABLE IF NOT EXISTS function_urls (
  function TEXT NOT NULL, qualifier TEXT NOT NULL, url_id TEXT NOT NULL,
  auth_type TEXT NOT NULL, invoke_mode TEXT NOT NULL, cors TEXT NOT NULL,
  created TEXT NOT NULL, modified TEXT NOT NULL, PRIMARY KEY (function, qualifier));
"""
Listener = Callable[[UrlConfig, bool], None]  # (config, removed)


def timestamp(now: float) -> str:
    """The Lambda API's CreationTime / LastModifiedTime: ISO 8601 with microseconds."""
    micros = int(now * 1_000_000) % 1_000_000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{micros:06d}Z"


class FunctionUrls:
    def __init__(
        self, app: Application, state_dir: Path, clock: Callable[[], float] = time.time
    ) -> None:
        self.app = app
        self._clock = clock
        self._db = state.connect(state_dir / "lambda.db", check_same_thread=False)
        self._db.executescript(_SCHEMA)
        now = timestamp(clock())
        self._configs: dict[tuple[str, str | None], UrlConfig] = {
            url.key: dataclasses.replace(url, created=now, modified=now)
            for url in template_urls(app)
        }
        self._listeners: list[Listener] = []
        for row in self._db.execute("SELECT * FROM function_urls"):
            fn_name, qualifier, url_id, auth, mode, cors, created, modified = row
            fn = app.find_function(fn_name)
            if fn is None:
                continue
            config = UrlConfig(
                url_id=url_id,
                function=fn_name,
                function_arn=f"{fn.arn}:{qualifier}" if qualifier else fn.arn,
                qualifier=qualifier or None,
                auth_type=auth,
                invoke_mode=mode,
                cors=cors_spec(json.loads(cors)),
                created=created,
                modified=modified,
                region=app.region,
            )
            self._configs.setdefault(config.key, config)

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def all(self) -> list[UrlConfig]:
        return list(self._configs.values())

    def get(self, function: str, qualifier: str | None) -> UrlConfig | None:
        return self._configs.get((function, qualifier or None))

    def of_function(self, function: str) -> list[UrlConfig]:
        return [c for c in self._configs.values() if c.function == function]

    def by_id(self, url_id: str) -> UrlConfig | None:
        return next((c for c in self._configs.values() if c.url_id == url_id), None)

    def put(self, config: UrlConfig) -> UrlConfig:
        """Create (a new id) or replace a configuration; listeners are told."""
        now = timestamp(self._clock())
        old = self._configs.get(config.key)
        config = dataclasses.replace(
            config,
            url_id=old.url_id if old else "".join(secrets.choice(_ALPHABET) for _ in range(32)),
            created=old.created if old else now,
            modified=now,
            region=self.app.region,
        )
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO function_urls VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    config.function,
                    config.qualifier or "",
                    config.url_id,
                    config.auth_type,
                    config.invoke_mode,
                    json.dumps(cors_document(config.cors)),
                    config.created,
                    config.modified,
                ),
            )
        self._configs[config.key] = config
        for listener in self._listeners:
            listener(config, False)
        return config

    def delete(self, config: UrlConfig) -> None:
        with self._db:
            self._db.execute(
                "DELETE FROM function_urls WHERE function = ? AND qualifier = ?",
                (config.function, config.qualifier or ""),
            )
        self._configs.pop(config.key, None)
        for listener in self._listeners:
            listener(config, True)

    def close(self) -> None:
        self._db.close()
