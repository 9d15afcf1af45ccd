"""The state directory: private, refused when damaged, and owned by one process."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from serverlite import state
from serverlite.state_lock import StateInUse, StateLock, running_owner
from tests.integration.conftest import FIXTURES, cli, lambda_client, start_server, wait_for

pytestmark = pytest.mark.integration
APP = FIXTURES / "app" / "template.yaml"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def database_with_rows(path: Path, rows: int = 2000) -> None:
    conn = state.connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.executemany("INSERT INTO t (v) VALUES (?)", [("x" * 200,) for _ in range(rows)])
    conn.close()  # the last connection checkpoints and removes the WAL


# -- private -----------------------------------------------------------------------


def test_a_fresh_state_directory_is_0700_and_its_databases_0600(tmp_path):
    conn = state.connect(tmp_path / "state" / "new.db")
    conn.execute("CREATE TABLE t (v)")
    conn.execute("INSERT INTO t VALUES (1)")
    assert mode(tmp_path / "state") == 0o700
    for name in ("new.db", "new.db-wal", "new.db-shm"):
        assert mode(tmp_path / "state" / name) == 0o600, name
    conn.close()
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["new.db"]


def test_an_existing_open_state_directory_is_tightened(tmp_path):
    directory = tmp_path / "state"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    raw = sqlite3.connect(directory / "old.db")
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE t (v)")
    (directory / "old.db").chmod(0o644)
    state.private_dir(directory)  # what `up` and `invoke` do first
    state.connect(directory / "old.db").close()
    raw.close()
    assert mode(directory) == 0o700
    assert mode(directory / "old.db") == 0o600


def test_serverlite_writes_its_state_for_the_user_alone(tmp_path):
    result = cli("invoke", "Inline", "-t", str(APP), "--state-dir", str(tmp_path / "s"))
    assert result.returncode == 0, result.stderr
    files = list((tmp_path / "s").rglob("*"))
    assert files
    assert mode(tmp_path / "s") == 0o700
    loose = [str(p) for p in files if mode(p) & 0o077]
    assert loose == []


# -- damaged -----------------------------------------------------------------------


def test_an_empty_database_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "dynamodb.db"
    path.touch()
    with pytest.raises(state.DamagedState) as refused:
        state.connect(path)
    message = str(refused.value)
    assert str(path) in message and "empty (0 bytes)" in message
    assert "Restore it from a backup, or delete it" in message
    assert path.stat().st_size == 0  # nothing was recreated over it


def test_a_truncated_database_is_refused(tmp_path):
    path = tmp_path / "sqs.db"
    database_with_rows(path)
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.truncate(size // 2)
    with pytest.raises(state.DamagedState, match="cut short"):
        state.connect(path)
    assert path.stat().st_size == size // 2


def test_a_file_that_is_no_database_is_refused(tmp_path):
    path = tmp_path / "ssm.db"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(state.DamagedState, match="not a SQLite database"):
        state.connect(path)


def test_a_database_whole_but_for_its_wal_is_left_to_sqlite(tmp_path):
    """A checkpoint killed midway leaves the file short, the pages still in the WAL."""
    path = tmp_path / "events.db"
    database_with_rows(path)
    writer = state.connect(path)
    writer.execute("INSERT INTO t (v) VALUES ('kept')")
    assert (tmp_path / "events.db-wal").stat().st_size > 0
    reopened = state.connect(path)  # the WAL beside it: not judged by the file's size
    assert reopened.execute("SELECT count(*) FROM t").fetchone() == (2001,)
    reopened.close()
    writer.close()


def test_up_stops_on_an_emptied_database_and_says_what_to_do(tmp_path):
    state_dir = tmp_path / "state"
    first = cli("invoke", "Inline", "-t", str(APP), "--state-dir", str(state_dir))
    assert first.returncode == 0, first.stderr
    (state_dir / "dynamodb.db").write_bytes(b"")
    result = cli("up", "-t", str(APP), "--state-dir", str(state_dir), "--aws-port", "0")
    assert result.returncode == 2
    assert f"{state_dir / 'dynamodb.db'} is damaged: it is empty (0 bytes)" in result.stderr
    assert "Traceback" not in result.stderr
    assert (state_dir / "dynamodb.db").stat().st_size == 0


def test_a_lost_key_is_not_replaced_under_the_values_it_encrypted(tmp_path):
    state_dir = tmp_path / "state"
    # A parameter in the template: SSM is built (its store and the key made) at start.
    template = tmp_path / "template.yaml"
    template.write_text(
        APP.read_text()
        .replace("../functions/", f"{APP.parent.parent / 'functions'}/")
        .replace(
            "Resources:\n",
            "Resources:\n  Setting:\n    Type: AWS::SSM::Parameter\n"
            "    Properties: {Name: /app/setting, Type: String, Value: 'on'}\n",
            1,
        )
    )
    first = cli("invoke", "Inline", "-t", str(template), "--state-dir", str(state_dir))
    assert first.returncode == 0, first.stderr
    (state_dir / "kms-local.key").unlink()
    result = cli("invoke", "Inline", "-t", str(template), "--state-dir", str(state_dir))
    assert result.returncode == 2
    assert f"{state_dir / 'kms-local.key'} is missing while {state_dir / 'ssm.db'}" in (
        " ".join(result.stderr.split())
    )
    assert not (state_dir / "kms-local.key").exists()


# -- one owner -----------------------------------------------------------------------


def test_the_lock_names_its_owner_and_refuses_a_second(tmp_path):
    with StateLock(tmp_path) as lock:
        lock.acquire("up", "http://127.0.0.1:4566")
        owner = running_owner(tmp_path)
        assert owner is not None
        assert (owner.pid, owner.command, owner.endpoint_url) == (
            os.getpid(),
            "up",
            "http://127.0.0.1:4566",
        )
        with pytest.raises(StateInUse, match=rf"in use by `serverlite up` \(pid {os.getpid()}\)"):
            StateLock(tmp_path).acquire("invoke")
    assert running_owner(tmp_path) is None


def test_a_killed_owner_leaves_no_lock_behind(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from serverlite.state_lock import StateLock; "
            "StateLock(Path(sys.argv[1])).acquire('up', 'http://127.0.0.1:1'); "
            "print('locked', flush=True); time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        assert running_owner(tmp_path) is not None
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        assert running_owner(tmp_path) is None
        with StateLock(tmp_path) as lock:
            lock.acquire("up")  # the OS let go of the dead owner's lock
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_invoke_goes_through_the_running_up_and_a_second_up_is_refused(tmp_path):
    state_dir = tmp_path / "state"
    server = start_server(
        APP, state_dir, "--parameter-overrides", f"MarkerDir={tmp_path / 'm'}", "--no-reload"
    )
    try:
        warm = lambda_client(server).invoke(
            FunctionName="Behaviours", Payload=json.dumps({"action": "pid"})
        )
        up_pid = json.loads(warm["Payload"].read())
        result = cli(
            "invoke",
            "Behaviours",
            "-e",
            "-",
            "-t",
            str(APP),
            "--state-dir",
            str(state_dir),
            stdin=b'{"action": "pid"}',
        )
        assert result.returncode == 0, result.stderr
        assert f"invoking through {server.url}" in result.stderr
        assert json.loads(result.stdout) == up_pid  # up's warm environment answered
        assert "REPORT RequestId" in result.stderr  # its log tail
        second = cli("up", "-t", str(APP), "--state-dir", str(state_dir), "--aws-port", "0")
        assert second.returncode == 2
        assert f"in use by `serverlite up` (pid {server.proc.pid})" in second.stderr
    finally:
        server.stop()
    wait_for(lambda: running_owner(state_dir) is None, 10)


def test_an_in_memory_store_leaves_no_file_behind(tmp_path, monkeypatch):
    # Unit tests open stores on ":memory:": a file of that name in the checkout would
    # carry one run's rows into the next (and be shared by two runs at once).
    monkeypatch.chdir(tmp_path)
    conn = state.connect(Path(":memory:"))
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert list(tmp_path.iterdir()) == []
    assert state.connect(Path(":memory:")).execute(
        "SELECT count(*) FROM sqlite_master"
    ).fetchone() == (0,)
