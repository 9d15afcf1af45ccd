"""Lambda versions and aliases: what a qualifier names, and what runs for it.

A published version is a snapshot: its code is copied under the state directory when it
is published (``<state>/versions/<function>/<n>/``), so editing the code changes $LATEST
(hot reload) and never a published version, as on Lambda. Versions the template declares
(``AWS::Lambda::Version``, or SAM's ``AutoPublishAlias``) are published again at each
start, numbered in template order as ``Ref`` numbers them; versions published through the
API (PublishVersion) follow them and are kept in ``<state>/lambda.db`` across restarts, as
are aliases. The template's aliases are written over the stored ones at start, as a
deploy would.

An alias with ``RoutingConfig.AdditionalVersionWeights`` sends each invocation to one of
its versions at random with those weights; the version that ran is the Invoke response's
``X-Amz-Executed-Version``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
import random
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serverlite import state
from serverlite.errors import FunctionNotFound, InvokeError
from serverlite.template.model import Application, FunctionSpec

log = logging.getLogger("serverlite.invoker")
LATEST = "$LATEST"
# Code trees bigger than this are not copied for a version (it runs $LATEST's code).
SNAPSHOT_LIMIT_BYTES = 256 * 1024 * 1024
_IGNORED = (".serverlite", ".git", ".aws-sam", "__pycache__", ".venv", "node_modules")


class ResourceConflict(InvokeError):
    code = "ResourceConflictException"
    status = 409
    message_key = "message"


class ProvisionedConfigNotFound(InvokeError):
    code = "ProvisionedConcurrencyConfigNotFoundException"
    status = 404
    message_key = "message"


@dataclass(frozen=True)
class Version:
    function: str
    number: str
    code_dir: Path
    description: str = ""
    code_sha256: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class Alias:
    function: str
    name: str
    version: str
    weights: Mapping[str, float] = field(default_factory=dict)  # AdditionalVersionWeights
    description: str = ""
    revision_id: str = ""


@dataclass(frozen=True)
class Provisioned:
    function: str
    qualifier: str
    requested: int
    allocated: int = 0
    last_modified: str = ""


def timestamp(now: float) -> str:
    """Lambda's LastModified: ``2019-09-24T18:22:53.303+0000``."""
    millis = int(now * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{millis:03d}+0000"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
  function TEXT NOT NULL, number INTEGER NOT NULL, description TEXT NOT NULL,
  code_sha256 TEXT NOT NULL, last_modified TEXT NOT NULL, PRIMARY KEY (function, number));
CREATE TABLE IF NOT EXISTS aliases (
  function TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, weights TEXT NOT NULL,
  description TEXT NOT NULL, revision_id TEXT NOT NULL, PRIMARY KEY (function, name));
CREATE TABLE IF NOT EXISTS provisioned (
  function TEXT NOT NULL, qualifier TEXT NOT NULL, requested INTEGER NOT NULL,
  last_modified TEXT NOT NULL, PRIMARY KEY (function, qualifier));
"""


class Versions:
    def __init__(
        self,
        app: Application,
        state_dir: Path,
        clock: Callable[[], float] = time.time,
        choose: Callable[[], float] = random.random,
    ) -> None:
        self.app = app
        self._dir = state_dir / "versions"
        self._clock = clock
        self._choose = choose
        self._lock = threading.Lock()
        self._db = state.connect(state_dir / "lambda.db", check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._versions: dict[str, dict[str, Version]] = {}
        self._aliases: dict[str, dict[str, Alias]] = {}
        self._provisioned: dict[tuple[str, str], Provisioned] = {}
        self._template_counts: dict[str, int] = {}
        self._load()

    # -- start -------------------------------------------------------------------
    def _load(self) -> None:
        for fn, number, description, sha, modified in self._db.execute(
            "SELECT function, number, description, code_sha256, last_modified FROM versions"
        ):
            path = self._dir / fn / str(number)
            self._versions.setdefault(fn, {})[str(number)] = Version(
                fn, str(number), path, description, sha, modified
            )
        for fn, name, version, weights, description, revision in self._db.execute(
            "SELECT function, name, version, weights, description, revision_id FROM aliases"
        ):
            self._aliases.setdefault(fn, {})[name] = Alias(
                fn, name, version, json.loads(weights), description, revision
            )
        for fn, qualifier, requested, modified in self._db.execute(
            "SELECT function, qualifier, requested, last_modified FROM provisioned"
        ):
            self._provisioned[(fn, qualifier)] = Provisioned(fn, qualifier, requested, 0, modified)

    def publish_template(self) -> None:
        """Publish the template's versions (a snapshot of the code now) and write its
        aliases and provisioned concurrency; blocking (file copies)."""
        numbered: dict[str, list[tuple[int, str]]] = {}
        for res in self.app.resources:
            if res.type != "AWS::Lambda::Version":
                continue
            fn = self._function_of(res.properties.get("FunctionName"))
            if fn is not None:
                number = int(res.attributes.get("Version", "1"))
                numbered.setdefault(fn.name, []).append(
                    (number, str(res.properties.get("Description") or ""))
                )
        for name, items in numbered.items():
            fn = self._function(name)
            for number, description in sorted(items):
                self._store_version(fn, str(number), description, persist=False)
            self._template_counts[name] = max(n for n, _ in items)
        for res in self.app.resources:
            if res.type != "AWS::Lambda::Alias":
                continue
            fn = self._function_of(res.properties.get("FunctionName"))
            if fn is None:
                continue
            props = res.properties
            weights = (props.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or []
            alias = Alias(
                fn.name,
                str(props.get("Name")),
                str(props.get("FunctionVersion")),
                {str(w["FunctionVersion"]): float(w["FunctionWeight"]) for w in weights},
                str(props.get("Description") or ""),
                str(uuid.uuid4()),
            )
            self._put_alias(alias)
            provisioned = props.get("ProvisionedConcurrencyConfig") or {}
            count = provisioned.get("ProvisionedConcurrentExecutions")
            if count is not None:
                self.put_provisioned(fn, alias.name, int(count))
            else:  # taken out of the template: a deploy would delete it
                self.delete_provisioned(fn, alias.name)

    def _function_of(self, ref: Any) -> FunctionSpec | None:
        if not isinstance(ref, str):
            return None
        name = ref.split(":")[6] if ref.startswith("arn:") else ref.split(":")[0]
        return self.app.find_function(name)

    def _function(self, name: str) -> FunctionSpec:
        fn = self.app.find_function(name)
        assert fn is not None, name
        return fn

    # -- versions ----------------------------------------------------------------
    def _store_version(
        self, fn: FunctionSpec, number: str, description: str, *, persist: bool
    ) -> Version:
        sha, code = _snapshot(fn, self._dir / fn.name / number)
        version = Version(fn.name, number, code, description, sha, timestamp(self._clock()))
        if persist:
            with self._db:
                self._db.execute(
                    "INSERT OR REPLACE INTO versions VALUES (?, ?, ?, ?, ?)",
                    (fn.name, int(number), description, sha, version.last_modified),
                )
        self._versions.setdefault(fn.name, {})[number] = version
        return version

    def publish(self, fn: FunctionSpec, description: str = "") -> Version:
        """PublishVersion: a new version of $LATEST's code as it is now."""
        with self._lock:
            known = self._versions.get(fn.name, {})
            number = max([self._template_counts.get(fn.name, 0), *map(int, known)]) + 1
            return self._store_version(fn, str(number), description, persist=True)

    def versions(self, fn: FunctionSpec) -> list[Version]:
        known = self._versions.get(fn.name, {})
        return [known[key] for key in sorted(known, key=int)]

    def version(self, fn: FunctionSpec, number: str) -> Version | None:
        return self._versions.get(fn.name, {}).get(number)

    def spec(self, fn: FunctionSpec, number: str) -> FunctionSpec:
        """What runs for ``number``: the function with its version's code."""
        if number == LATEST:
            return fn
        version = self._versions[fn.name][number]
        return dataclasses.replace(fn, version=number, code_dir=version.code_dir)

    # -- aliases -----------------------------------------------------------------
    def aliases(self, fn: FunctionSpec) -> list[Alias]:
        known = self._aliases.get(fn.name, {})
        return [known[key] for key in sorted(known)]

    def alias(self, fn: FunctionSpec, name: str) -> Alias | None:
        return self._aliases.get(fn.name, {}).get(name)

    def put_alias(self, alias: Alias) -> Alias:
        fn = self._function(alias.function)
        for number in (alias.version, *alias.weights):
            if number != LATEST and self.version(fn, number) is None:
                raise FunctionNotFound(f"Function not found: {fn.arn}:{number}")
        alias = dataclasses.replace(alias, revision_id=str(uuid.uuid4()))
        self._put_alias(alias)
        return alias

    def _put_alias(self, alias: Alias) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO aliases VALUES (?, ?, ?, ?, ?, ?)",
                (
                    alias.function,
                    alias.name,
                    alias.version,
                    json.dumps(dict(alias.weights)),
                    alias.description,
                    alias.revision_id,
                ),
            )
        self._aliases.setdefault(alias.function, {})[alias.name] = alias

    def delete_alias(self, fn: FunctionSpec, name: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM aliases WHERE function = ? AND name = ?", (fn.name, name))
            self._db.execute(
                "DELETE FROM provisioned WHERE function = ? AND qualifier = ?", (fn.name, name)
            )
        self._aliases.get(fn.name, {}).pop(name, None)
        self._provisioned.pop((fn.name, name), None)

    # -- invocations -------------------------------------------------------------
    def route(self, fn: FunctionSpec, qualifier: str | None) -> tuple[FunctionSpec, str]:
        """(what runs, the ARN it was invoked as) for a qualifier; unknown ones are
        Lambda's ResourceNotFoundException naming the qualified ARN."""
        if qualifier in (None, LATEST):
            return fn, fn.arn if qualifier is None else f"{fn.arn}:{LATEST}"
        assert qualifier is not None
        invoked = f"{fn.arn}:{qualifier}"
        if qualifier in self._versions.get(fn.name, {}):
            return self.spec(fn, qualifier), invoked
        alias = self.alias(fn, qualifier)
        if alias is None:
            raise FunctionNotFound(f"Function not found: {invoked}")
        return self.spec(fn, self._pick(alias)), invoked

    def _pick(self, alias: Alias) -> str:
        """The alias's version, or one of its additional versions by weight."""
        if alias.weights:
            roll = self._choose()
            for number, weight in alias.weights.items():
                if roll < weight:
                    return number
                roll -= weight
        return alias.version

    def resolved_version(self, fn: FunctionSpec, qualifier: str) -> str | None:
        """The version a qualifier stands for now (an alias's primary), or None."""
        if qualifier == LATEST or qualifier in self._versions.get(fn.name, {}):
            return qualifier
        alias = self.alias(fn, qualifier)
        return alias.version if alias is not None else None

    # -- provisioned concurrency ---------------------------------------------------
    def put_provisioned(self, fn: FunctionSpec, qualifier: str, count: int) -> Provisioned:
        config = Provisioned(fn.name, qualifier, count, 0, timestamp(self._clock()))
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO provisioned VALUES (?, ?, ?, ?)",
                (fn.name, qualifier, count, config.last_modified),
            )
        self._provisioned[(fn.name, qualifier)] = config
        return config

    def provisioned(self, fn: FunctionSpec, qualifier: str) -> Provisioned | None:
        return self._provisioned.get((fn.name, qualifier))

    def all_provisioned(self) -> list[Provisioned]:
        return list(self._provisioned.values())

    def set_allocated(self, config: Provisioned, allocated: int) -> None:
        key = (config.function, config.qualifier)
        if key in self._provisioned:
            self._provisioned[key] = dataclasses.replace(config, allocated=allocated)

    def delete_provisioned(self, fn: FunctionSpec, qualifier: str) -> None:
        with self._db:
            self._db.execute(
                "DELETE FROM provisioned WHERE function = ? AND qualifier = ?", (fn.name, qualifier)
            )
        self._provisioned.pop((fn.name, qualifier), None)

    def close(self) -> None:
        self._db.close()


def _snapshot(fn: FunctionSpec, target: Path) -> tuple[str, Path]:
    """Copy the function's code to ``target``: (its CodeSha256, a base64 SHA-256 as
    Lambda reports a package's; where the version's code is). Inline code needs no copy:
    it is in the spec."""
    digest = hashlib.sha256()
    if fn.inline_code is not None:
        digest.update(fn.inline_code.encode())
        return base64.b64encode(digest.digest()).decode(), fn.code_dir
    source = fn.code_dir
    files = sorted(
        path
        for path in source.rglob("*")
        if path.is_file() and not any(part in _IGNORED for part in path.relative_to(source).parts)
    )
    if sum(path.stat().st_size for path in files) > SNAPSHOT_LIMIT_BYTES:
        log.warning(
            "%s: code over %d MB is not copied: its versions run $LATEST's code",
            fn.name,
            SNAPSHOT_LIMIT_BYTES >> 20,
        )
        return "", source
    if target.exists():
        shutil.rmtree(target)
    for path in files:
        relative = path.relative_to(source)
        digest.update(str(relative).encode())
        digest.update(path.read_bytes())
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / relative)
    target.mkdir(parents=True, exist_ok=True)
    return base64.b64encode(digest.digest()).decode(), target
