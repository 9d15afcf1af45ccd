"""The durable store: SQLite databases under the state directory, in WAL mode.

WAL with ``synchronous=NORMAL`` keeps every committed transaction across a kill -9
of serverlite (only an operating-system crash can lose the last ones), and lets
other processes (``serverlite logs``) read while serverlite writes.

The state holds password hashes, secrets, queues and logs: the directory is 0700 and
every database 0600 (SQLite gives its -wal and -shm files the database's mode). A new
database is made whole under another name and renamed into place, so a database file
that exists was written by serverlite: one that is empty or cut short was damaged
afterwards, and start-up stops naming it rather than silently starting empty over it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from serverlite.errors import ConfigError

_MAGIC = b"SQLite format 3\x00"
_SIDE_FILES = ("-wal", "-shm", "-journal")


class DamagedState(ConfigError):
    """A database under the state directory exists but cannot be what serverlite wrote."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(
            f"{path} is damaged: {why}. Nothing was changed. Restore it from a backup, "
            f"or delete it (with any {path.name}-wal / {path.name}-shm beside it) to start "
            "with that store empty."
        )
        self.path = path


def private_dir(path: Path) -> None:
    """Create ``path`` (0700), or tighten it to 0700 if it exists: the state is the user's."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def connect(path: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    # A directory made here is 0700; an existing one is tightened once at start
    # (private_dir): as root, the embedded PostgreSQL opens the path to its own user.
    if str(path) != ":memory:":  # SQLite's in-memory database (unit tests): no file
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.exists():
            check_database(path)
            _tighten(path)
        else:
            _create(path)
    try:
        conn = sqlite3.connect(
            path, timeout=30.0, isolation_level=None, check_same_thread=check_same_thread
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the schema
    except sqlite3.OperationalError as exc:  # locked, unreadable, ...: not damage
        raise ConfigError(f"cannot open {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed", ...
        raise DamagedState(path, f"SQLite says {exc}") from exc
    return conn


def check_database(path: Path) -> None:
    """Refuse a database file that cannot be one serverlite wrote (without opening it)."""
    try:
        with path.open("rb") as file:
            header = file.read(100)
        size = path.stat().st_size
    except OSError as exc:
        raise DamagedState(path, f"it cannot be read ({exc.strerror})") from exc
    if size == 0:
        raise DamagedState(path, "it is empty (0 bytes)")
    if len(header) < 100 or not header.startswith(_MAGIC):
        raise DamagedState(path, "it is not a SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count is valid when the change counter matches "version valid for".
    counted = header[24:28] == header[92:96] and pages > 0
    if page_size < 512 or page_size & (page_size - 1):
        raise DamagedState(path, "its header is not a SQLite header")
    # Cut short: fewer bytes than its header counts, or a partial page. A checkpoint
    # killed midway can leave the file short of its new size while the WAL still
    # holds those pages, so a database with a WAL beside it is left to SQLite.
    if ((counted and size < pages * page_size) or size % page_size) and not _has_wal(path):
        expected = f"{pages * page_size:,} bytes" if counted else "whole pages"
        raise DamagedState(
            path, f"it is cut short ({size:,} bytes where its header says {expected})"
        )


def _has_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    with contextlib.suppress(OSError):
        return wal.stat().st_size > 0
    return False


def _create(path: Path) -> None:
    """A new, empty WAL database at ``path``, mode 0600, appearing whole or not at all."""
    new = path.with_name(path.name + ".new")
    for leftover in (new, *(new.with_name(new.name + side) for side in _SIDE_FILES)):
        leftover.unlink(missing_ok=True)  # from a start killed midway
    fd = os.open(new, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        conn = sqlite3.connect(new)
        try:
            # Nothing under the temporary name needs SQLite's own syncs (its journal, the
            # directory, the file: four, some 15 ms a database on a busy disk): a crash
            # leaves it to be deleted. The one sync that matters is below, before the
            # rename: the database that appears under its name is on disk whole.
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA journal_mode=WAL")  # writes the header: it is a database
        finally:
            conn.close()
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(new, path)


def _tighten(path: Path) -> None:
    """0600 for a database made before serverlite set modes, and the files beside it."""
    for file in (path, *(path.with_name(path.name + side) for side in _SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)


def copy_of(conn: sqlite3.Connection) -> sqlite3.Connection:
    """The database behind ``conn`` copied into memory (SQLite's backup API)."""
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    conn.backup(copy)
    return copy


class LockedDb:
    """One SQLite connection shared by the event loop and worker threads, one at a time.

    ``transaction()`` is ``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any error):
    a write acknowledged after it returns is durable.
    """

    def __init__(self, path: Path, schema: str, *, reentrant: bool = False) -> None:
        self._conn = connect(path, check_same_thread=False)
        self._conn.executescript(schema)
        self._lock: threading.Lock | threading.RLock = (
            threading.RLock() if reentrant else threading.Lock()
        )
        self._snapshot: sqlite3.Connection | None = None

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            if self._snapshot is not None:
                self._snapshot.close()

    def snapshot(self) -> None:
        """Keep a copy of the database as it is now, in memory (the state the template
        provisioned): ``restore`` goes back to it."""
        with self._lock:
            copy = copy_of(self._conn)
            if self._snapshot is not None:
                self._snapshot.close()
            self._snapshot = copy

    def restore(self) -> None:
        """The database as it was at ``snapshot`` (a test's fresh start), in one step:
        SQLite's backup replaces every page, and the file stays in WAL mode."""
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.backup(self._conn)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
