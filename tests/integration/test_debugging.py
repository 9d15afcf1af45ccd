"""Debugging a function: debugpy under --debug, pdb on invoke's terminal, breakpoint() elsewhere."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import lambda_client, start_server, wait_for

pytestmark = pytest.mark.integration
ANNOUNCED = re.compile(r"\(pid (\d+)\) waits for a debugger on 127\.0\.0\.1:(\d+)")

# Timeout 1 s everywhere: each handler outlasts it once a debugger holds it, which only
# an environment whose timeout is off survives.
TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    CodeUri: code/
    Timeout: 1
Resources:
  Debugged:
    Type: AWS::Serverless::Function
    Properties:
      Handler: debugged.handler
  Paused:
    Type: AWS::Serverless::Function
    Properties:
      Handler: paused.handler
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Handler: debugged.handler
"""
DEBUGGED = """\
import os
import time

IMPORTED_AT = time.monotonic()  # system-wide on Linux: comparable with the test's


def handler(event, context):
    time.sleep(1.5)
    return {"pid": os.getpid(), "imported_at": IMPORTED_AT}
"""
PAUSED = """\
import time


def handler(event, context):
    answer = 6 * 7
    breakpoint()
    time.sleep(1.5)
    return {"answer": answer}
"""


@pytest.fixture
def template(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    code.mkdir()
    (code / "debugged.py").write_text(DEBUGGED)
    (code / "paused.py").write_text(PAUSED)
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    return path


def invoke_command(template: Path, function: str, *args: str) -> list[str]:
    state = template.parent / "state"
    return [
        sys.executable,
        "-m",
        "serverlite.cli",
        "invoke",
        function,
        "-t",
        str(template),
        "--state-dir",
        str(state),
        *args,
    ]


class Lines:
    """A stream's lines, read on a thread (so waiting on them is bounded)."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.append(line)

    def text(self) -> str:
        return "".join(self.lines)


class DapClient:
    """Just enough of the Debug Adapter Protocol: Content-Length framed JSON."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self._reader = self.sock.makefile("rb")
        self._seq = 0

    def request(self, command: str, arguments: dict[str, Any]) -> None:
        self._seq += 1
        body = json.dumps(
            {"seq": self._seq, "type": "request", "command": command, "arguments": arguments}
        ).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def message(self) -> dict[str, Any]:
        length = None
        while (line := self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        assert length is not None, "the adapter closed the connection"
        message: dict[str, Any] = json.loads(self._reader.read(length))
        return message

    def until(self, kind: str, name: str) -> dict[str, Any]:
        """The next response to ``name`` (kind "response") or event ``name``."""
        for _ in range(50):
            message = self.message()
            if (
                message["type"] == kind
                and message.get("command" if kind == "response" else "event") == name
            ):
                return message
        raise AssertionError(f"no {kind} {name} in 50 messages")

    def close(self) -> None:
        self._reader.close()
        self.sock.close()


def attach(port: int, pid: int) -> None:
    """Attach as an IDE does, checking the adapter answering is process ``pid``'s."""
    dap = DapClient(port)
    try:
        dap.request("initialize", {"adapterID": "serverlite-test", "pathFormat": "path"})
        initialized = dap.until("response", "initialize")
        assert initialized["success"] is True
        assert initialized["body"]["pydevd"]["processId"] == pid
        dap.request("attach", {"justMyCode": False})
        assert dap.until("event", "process")["body"]["systemProcessId"] == pid
        dap.until("event", "initialized")
        dap.request("configurationDone", {})
        assert dap.until("response", "attach")["success"] is True
    finally:
        dap.close()


def test_invoke_debug_listens_in_the_functions_environment_before_import(template):
    proc = subprocess.Popen(
        invoke_command(template, "Debugged", "--debug", "0"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        err = Lines(proc.stderr)
        announced = wait_for(
            lambda: ANNOUNCED.search(err.text()),
            timeout=60,
            why=err.text,
        )
        pid, port = int(announced[1]), int(announced[2])
        assert pid != proc.pid  # not serverlite's process: the forked environment's
        asked_at = time.monotonic()
        attach(port, pid)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.text()
    result = json.loads(out)
    assert result["pid"] == pid
    # The handler's module was imported only once the IDE had come (breakpoints at import
    # time hold), and its 1 s timeout did not kill it while debugged.
    assert result["imported_at"] > asked_at


def test_up_debug_runs_debugpy_in_the_named_functions_environments_only(template, tmp_path):
    server = start_server(template, tmp_path / "up-state", "--debug", "Debugged=0", "--no-reload")
    try:
        lam = lambda_client(server)
        # The same code in another function: no debugger, and its 1 s timeout holds.
        plain = lam.invoke(FunctionName="Plain", Payload=b"{}")
        assert "Task timed out after 1.00 seconds" in plain["Payload"].read().decode()
        answered: dict[str, Any] = {}
        caller = threading.Thread(
            target=lambda: answered.update(lam.invoke(FunctionName="Debugged", Payload=b"{}"))
        )
        caller.start()
        announced = wait_for(
            lambda: ANNOUNCED.search(server.output()), timeout=60, why=server.output
        )
        pid, port = int(announced[1]), int(announced[2])
        assert pid != server.proc.pid
        attach(port, pid)
        caller.join(60)
        assert json.loads(answered["Payload"].read())["pid"] == pid
        assert server.output().count("waits for a debugger") == 1
    finally:
        server.stop()


def test_breakpoint_without_a_terminal_says_so_and_carries_on(template):
    result = subprocess.run(
        invoke_command(template, "Paused"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "breakpoint() ignored" in result.stderr
    # Not paused: the 1 s timeout still holds (the handler sleeps 1.5 s after it).
    assert "Task timed out after 1.00 seconds" in result.stdout + result.stderr


def test_breakpoint_under_invoke_on_a_terminal_is_pdb_there(template):
    main, tty = pty.openpty()
    proc = subprocess.Popen(
        invoke_command(template, "Paused"),
        stdin=tty,
        stdout=tty,
        stderr=tty,
        env={**os.environ, "NO_COLOR": "1"},
    )
    os.close(tty)
    seen = bytearray()

    def read_until(marker: bytes) -> None:
        """Read the terminal until ``marker`` comes (after what was read before)."""
        start = len(seen)
        deadline = time.monotonic() + 60
        while marker not in seen[start:] and (left := deadline - time.monotonic()) > 0:
            if select.select([main], [], [], left)[0]:
                try:
                    seen.extend(os.read(main, 4096))
                except OSError:  # every process on the terminal is gone
                    break
        assert marker in seen[start:], seen.decode(errors="replace")

    try:
        read_until(b"(Pdb) ")
        os.write(main, b"p f'answer={answer}'\n")
        read_until(b"answer=42")
        os.write(main, b"c\n")
        read_until(b'{"answer": 42}')
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
    # Paused at a person's pace: the timeout stopped counting, so the 1.5 s after it passed.
    assert b"Task timed out" not in seen
