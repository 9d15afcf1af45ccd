"""Buckets, object versions, multipart uploads and their parts on SQLite (WAL).

Every object version is a row; ``latest`` marks the one a plain GET reads. A bucket
that never had versioning keeps one version per key, ``null`` (as S3 names it), and a
PUT replaces it; with versioning enabled a PUT adds a version and a DELETE adds a
delete marker; suspended, both replace the ``null`` version. Each call is one
transaction and returns the blob files it made unreferenced, for the caller to remove
after the commit (``blobs``). Keys sort as S3 lists them: by their UTF-8 bytes, which
is SQLite's BINARY collation of TEXT.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from serverlite.state import LockedDb

from .notifications import Note
from .records import Bucket, ObjectVersion, Part, Upload

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    created REAL NOT NULL,
    versioning TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS objects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL REFERENCES buckets (name) ON DELETE CASCADE,
    key TEXT NOT NULL,
    version_id TEXT NOT NULL,
    latest INTEGER NOT NULL,
    delete_marker INTEGER NOT NULL,
    blob TEXT,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    modified REAL NOT NULL,
    headers TEXT NOT NULL,
    checksum TEXT NOT NULL,
    tags TEXT NOT NULL,
    parts INTEGER,
    UNIQUE (bucket, key, version_id)
);
CREATE INDEX IF NOT EXISTS objects_listing ON objects (bucket, latest, key);
CREATE INDEX IF NOT EXISTS objects_versions ON objects (bucket, key, id);
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL REFERENCES buckets (name) ON DELETE CASCADE,
    key TEXT NOT NULL,
    initiated REAL NOT NULL,
    headers TEXT NOT NULL,
    checksum TEXT NOT NULL,
    tags TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL,
    body TEXT NOT NULL,
    detail_type TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL REFERENCES uploads (upload_id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    modified REAL NOT NULL,
    checksum TEXT NOT NULL,
    PRIMARY KEY (upload_id, number)
);
"""
_OBJECT = (
    "id, bucket, key, version_id, latest, delete_marker, blob, size, etag, modified, "
    "headers, checksum, tags, parts"
)
NULL_VERSION = "null"


def _version(row: Sequence[Any]) -> ObjectVersion:
    return ObjectVersion(
        id=row[0],
        bucket=row[1],
        key=row[2],
        version_id=row[3],
        latest=bool(row[4]),
        delete_marker=bool(row[5]),
        blob=row[6],
        size=row[7],
        etag=row[8],
        modified=row[9],
        headers=json.loads(row[10]),
        checksum=json.loads(row[11]),
        tags=json.loads(row[12]),
        parts=row[13],
    )


class S3Db(LockedDb):
    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)

    # -- buckets ---------------------------------------------------------------------

    def create_bucket(self, name: str, region: str, now: float) -> bool:
        """False when it exists already."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO buckets (name, region, created) VALUES (?, ?, ?)",
                (name, region, now),
            )
            return cursor.rowcount == 1

    def bucket(self, name: str) -> Bucket | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT name, region, created, versioning, config FROM buckets WHERE name = ?",
                (name,),
            ).fetchone()
        return _bucket(row) if row else None

    def buckets(self) -> list[Bucket]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT name, region, created, versioning, config FROM buckets ORDER BY name"
            ).fetchall()
        return [_bucket(row) for row in rows]

    def is_empty(self, name: str) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (name,)
            ).fetchone()
        return row is None

    def delete_bucket(self, name: str) -> list[str]:
        """Its uploads' part files, to remove (a bucket with objects is refused before)."""
        with self.transaction() as conn:
            blobs = [
                row[0]
                for row in conn.execute(
                    "SELECT blob FROM parts JOIN uploads USING (upload_id) WHERE bucket = ?",
                    (name,),
                )
            ]
            conn.execute("DELETE FROM buckets WHERE name = ?", (name,))
        return blobs

    def set_versioning(self, name: str, status: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE buckets SET versioning = ? WHERE name = ?", (status, name))

    def set_config(self, name: str, part: str, value: Any) -> None:
        """One part of a bucket's configuration (cors, lifecycle, tags, ...); None removes."""
        with self.transaction() as conn:
            row = conn.execute("SELECT config FROM buckets WHERE name = ?", (name,)).fetchone()
            if row is None:
                return
            config = json.loads(row[0])
            if value is None:
                config.pop(part, None)
            else:
                config[part] = value
            conn.execute("UPDATE buckets SET config = ? WHERE name = ?", (json.dumps(config), name))

    # -- object versions ---------------------------------------------------------------

    def get(self, bucket: str, key: str, version_id: str | None = None) -> ObjectVersion | None:
        if version_id is None:
            sql = f"SELECT {_OBJECT} FROM objects WHERE bucket = ? AND key = ? AND latest = 1"
            args: tuple[Any, ...] = (bucket, key)
        else:
            sql = f"SELECT {_OBJECT} FROM objects WHERE bucket = ? AND key = ? AND version_id = ?"
            args = (bucket, key, version_id)
        with self._lock:
            row = self._conn.execute(sql, args).fetchone()
        return _version(row) if row else None

    def put(self, version: ObjectVersion, notes: Iterable[Note] = ()) -> list[str]:
        """Make ``version`` the latest; a ``null`` version replaces the ``null`` one.
        Its notifications commit with it. Returns the blobs no row names any more."""
        with self.transaction() as conn:
            _add_notes(conn, notes)
            return self._put(conn, version)

    def _put(self, conn: sqlite3.Connection, version: ObjectVersion) -> list[str]:
        freed: list[str] = []
        if version.version_id == NULL_VERSION:
            row = conn.execute(
                "DELETE FROM objects WHERE bucket = ? AND key = ? AND version_id = ? "
                "RETURNING blob",
                (version.bucket, version.key, NULL_VERSION),
            ).fetchone()
            if row and row[0]:
                freed.append(row[0])
        conn.execute(
            "UPDATE objects SET latest = 0 WHERE bucket = ? AND key = ? AND latest = 1",
            (version.bucket, version.key),
        )
        conn.execute(
            "INSERT INTO objects (bucket, key, version_id, latest, delete_marker, blob, size, "
            "etag, modified, headers, checksum, tags, parts) "
            "VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                version.bucket,
                version.key,
                version.version_id,
                int(version.delete_marker),
                version.blob,
                version.size,
                version.etag,
                version.modified,
                json.dumps(version.headers),
                json.dumps(version.checksum),
                json.dumps(version.tags),
                version.parts,
            ),
        )
        return freed

    def delete_version(
        self,
        bucket: str,
        key: str,
        version_id: str,
        notes: Callable[[ObjectVersion], Iterable[Note]] | None = None,
    ) -> ObjectVersion | None:
        """Remove one version; the newest left becomes the latest. Returns what went;
        ``notes`` says what its removal notifies, committed with it."""
        with self.transaction() as conn:
            row = conn.execute(
                f"DELETE FROM objects WHERE bucket = ? AND key = ? AND version_id = ? "
                f"RETURNING {_OBJECT}",
                (bucket, key, version_id),
            ).fetchone()
            if row is None:
                return None
            gone = _version(row)
            if notes is not None:
                _add_notes(conn, notes(gone))
            if gone.latest:
                conn.execute(
                    "UPDATE objects SET latest = 1 WHERE id = (SELECT MAX(id) FROM objects "
                    "WHERE bucket = ? AND key = ?)",
                    (bucket, key),
                )
            return gone

    def set_tags(
        self,
        bucket: str,
        key: str,
        version_id: str,
        tags: dict[str, str],
        notes: Iterable[Note] = (),
    ) -> None:
        with self.transaction() as conn:
            _add_notes(conn, notes)
            conn.execute(
                "UPDATE objects SET tags = ? WHERE bucket = ? AND key = ? AND version_id = ?",
                (json.dumps(tags), bucket, key, version_id),
            )

    def latest_after(self, bucket: str, prefix: str, after: str, limit: int) -> list[ObjectVersion]:
        """Live objects (latest, not a delete marker) whose keys start with ``prefix``
        and sort after ``after``, in key order."""
        sql = (
            f"SELECT {_OBJECT} FROM objects WHERE bucket = ? AND latest = 1 "
            "AND delete_marker = 0 AND key > ? AND key >= ? "
        )
        args: list[Any] = [bucket, after, prefix]
        if prefix:
            sql += "AND substr(key, 1, ?) = ? "
            args += [len(prefix), prefix]
        sql += "ORDER BY key LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [_version(row) for row in rows]

    def versions_after(
        self, bucket: str, prefix: str, after_key: str, after_id: int | None, limit: int
    ) -> list[ObjectVersion]:
        """Every version (markers too), by key, newest first within a key; after
        (``after_key``, the version row ``after_id``) when given."""
        sql = f"SELECT {_OBJECT} FROM objects WHERE bucket = ? AND key >= ? "
        args: list[Any] = [bucket, prefix]
        if after_id is not None:
            sql += "AND (key > ? OR (key = ? AND id < ?)) "
            args += [after_key, after_key, after_id]
        else:
            sql += "AND key > ? "
            args.append(after_key)
        if prefix:
            sql += "AND substr(key, 1, ?) = ? "
            args += [len(prefix), prefix]
        sql += "ORDER BY key, id DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [_version(row) for row in rows]

    def all_latest(self) -> Iterator[ObjectVersion]:
        """Every live object of every bucket (lifecycle's sweep)."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_OBJECT} FROM objects WHERE latest = 1 AND delete_marker = 0"
            ).fetchall()
        return (_version(row) for row in rows)

    def truncate(self) -> list[str]:
        """Every object and upload gone (a test's fresh start); the buckets stay."""
        with self.transaction() as conn:
            blobs = [r[0] for r in conn.execute("SELECT blob FROM objects") if r[0]]
            blobs += [r[0] for r in conn.execute("SELECT blob FROM parts")]
            conn.execute("DELETE FROM objects")
            conn.execute("DELETE FROM uploads")
            conn.execute("DELETE FROM notes")
        return blobs

    def referenced(self) -> set[str]:
        with self._lock:
            objects = self._conn.execute(
                "SELECT blob FROM objects WHERE blob IS NOT NULL"
            ).fetchall()
            parts = self._conn.execute("SELECT blob FROM parts").fetchall()
        return {row[0] for row in (*objects, *parts)}

    # -- multipart uploads -------------------------------------------------------------

    def create_upload(self, upload: Upload) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO uploads (upload_id, bucket, key, initiated, headers, checksum, "
                "tags) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    upload.upload_id,
                    upload.bucket,
                    upload.key,
                    upload.initiated,
                    json.dumps(upload.headers),
                    json.dumps(upload.checksum),
                    json.dumps(upload.tags),
                ),
            )

    def upload(self, upload_id: str) -> Upload | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT upload_id, bucket, key, initiated, headers, checksum, tags "
                "FROM uploads WHERE upload_id = ?",
                (upload_id,),
            ).fetchone()
        return _upload(row) if row else None

    def uploads(self, bucket: str, prefix: str) -> list[Upload]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT upload_id, bucket, key, initiated, headers, checksum, tags "
                "FROM uploads WHERE bucket = ? AND substr(key, 1, ?) = ? "
                "ORDER BY key, initiated",
                (bucket, len(prefix), prefix),
            ).fetchall()
        return [_upload(row) for row in rows]

    def put_part(self, upload_id: str, part: Part) -> list[str] | None:
        """None when the upload is gone (aborted or completed meanwhile)."""
        with self.transaction() as conn:
            if (
                conn.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone()
                is None
            ):
                return None
            old = conn.execute(
                "DELETE FROM parts WHERE upload_id = ? AND number = ? RETURNING blob",
                (upload_id, part.number),
            ).fetchone()
            conn.execute(
                "INSERT INTO parts (upload_id, number, blob, size, etag, modified, checksum) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    upload_id,
                    part.number,
                    part.blob,
                    part.size,
                    part.etag,
                    part.modified,
                    json.dumps(part.checksum),
                ),
            )
        return [old[0]] if old else []

    def parts(self, upload_id: str) -> list[Part]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT number, blob, size, etag, modified, checksum FROM parts "
                "WHERE upload_id = ? ORDER BY number",
                (upload_id,),
            ).fetchall()
        return [Part(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    def finish_upload(
        self, upload_id: str, version: ObjectVersion | None, notes: Iterable[Note] = ()
    ) -> list[str] | None:
        """Complete (``version``: the object it made) or abort; the parts' files and a
        replaced object's go. None when the upload is gone."""
        with self.transaction() as conn:
            if (
                conn.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone()
                is None
            ):
                return None
            freed = [
                row[0]
                for row in conn.execute("SELECT blob FROM parts WHERE upload_id = ?", (upload_id,))
            ]
            conn.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))
            _add_notes(conn, notes)
            if version is not None:
                freed += self._put(conn, version)
        return freed

    # -- notifications (an outbox: written with the change, delivered after) -----------

    def add_notes(self, notes: Iterable[Note]) -> None:
        with self.transaction() as conn:
            _add_notes(conn, notes)

    def due_notes(self, now: float, limit: int) -> list[tuple[int, Note, int]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, arn, body, detail_type, attempts FROM notes WHERE due <= ? "
                "ORDER BY id LIMIT ?",
                (now, limit),
            ).fetchall()
        return [(r[0], Note(r[1], r[2], r[3]), r[4]) for r in rows]

    def next_note_due(self) -> float | None:
        with self._lock:
            row = self._conn.execute("SELECT MIN(due) FROM notes").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def retry_note(self, note_id: int, due: float) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE notes SET attempts = attempts + 1, due = ? WHERE id = ?", (due, note_id)
            )

    def delete_note(self, note_id: int) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM notes WHERE id = ?", (note_id,))


def _add_notes(conn: sqlite3.Connection, notes: Iterable[Note]) -> None:
    conn.executemany(
        "INSERT INTO notes (arn, body, detail_type) VALUES (?, ?, ?)",
        [(n.arn, n.body, n.detail_type) for n in notes],
    )


def _bucket(row: Sequence[Any]) -> Bucket:
    return Bucket(row[0], row[1], row[2], row[3], json.loads(row[4]))


def _upload(row: Sequence[Any]) -> Upload:
    return Upload(
        row[0], row[1], row[2], row[3], json.loads(row[4]), json.loads(row[5]), json.loads(row[6])
    )
