"""Shared benchmark helpers: percentiles, a loopback server process, the result table."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


@dataclass(frozen=True)
class Row:
    benchmark: str
    ours: str  # what serverlite measured: median (range) over the rounds
    peer: str  # what the peer measured in the same rounds
    ratio: str  # how serverlite compares, per round, summarised the same way
    setup: str = ""  # how each side ran (workers, connections, message counts)
    target: str = ""  # serverlite's own goal for the figure, if it has one
    met: bool | None = None  # whether the figure reached ``target`` (None: no target)

    @property
    def verdict(self) -> str:
        """The target column: the goal marked ✓ or ✗, so a missed one stands out."""
        if self.met is None:
            return self.target
        return f"{'✓' if self.met else '✗'} {self.target}".rstrip()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def in_process_handler(path: Path, name: str, out: Path) -> Callable[[dict[str, Any], Any], Any]:
    """A peer's handler, loaded from ``path`` under ``name``: other suites of the same run
    may have imported a module called "handler" already. It records to ``out``."""
    os.environ["BENCH_OUT"] = str(out)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    handler = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handler)
    handler.OUT = str(out)
    return handler.handler  # type: ignore[no-any-return]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serverlite(
    template: Path, state_dir: Path, aws_port: int, *args: str
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "serverlite.cli",
            "up",
            "--template",
            str(template),
            "--state-dir",
            str(state_dir),
            "--aws-port",
            str(aws_port),
            "--no-reload",
            *args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{aws_port}/_serverlite/health"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"serverlite exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            with urllib.request.urlopen(url, timeout=1):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("serverlite did not start within 60 s")


def wait_http(
    url: str, proc: subprocess.Popen[bytes], seconds: float = 60, *, any_status: bool = False
) -> None:
    """Until ``url`` answers 2xx (or anything, with ``any_status``); fail if ``proc`` exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            if any_status:  # answering, if not with 2xx
                return
            time.sleep(0.05)
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Ctrl-C (every server here shuts down cleanly on it), then kill after 30 s."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serverlite_up(
    template: Path, state: str, port: int, aws_port: int, *args: str, warm: bool = True
) -> tuple[subprocess.Popen[bytes], str]:
    """``serverlite up --warm`` (or without, ``warm=False``) on a template; its start-up
    output once it says it is up."""
    log_path = Path(state) / "serverlite.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "serverlite.cli",
                "up",
                "-t",
                str(template),
                "--port",
                str(port),
                "--aws-port",
                str(aws_port),
                "--state-dir",
                state,
                "--no-reload",
                *(["--warm"] if warm else []),
                *args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        output = log_path.read_text(errors="replace")
        if proc.poll() is not None:
            raise RuntimeError(f"serverlite exited:\n{output}")
        if "serverlite is up" in output:
            return proc, output
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("serverlite did not start within 90 s")


def print_table(rows: list[Row], title: str) -> None:
    table = Table(title=title, show_lines=True)
    for column in ("benchmark", "serverlite", "peer", "ratio", "setup", "target"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.benchmark, row.ours, row.peer, row.ratio, row.setup, row.verdict)
    Console(width=200).print(table)


def markdown_table(rows: list[Row]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| benchmark | serverlite | peer | ratio | setup | target |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = (row.benchmark, row.ours, row.peer, row.ratio, row.setup, row.verdict)
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def with_table(text: str, rows: list[Row], command: str, rounds: int, cores: int) -> str:
    """``text`` with the table between BEGIN and END replaced (ValueError without them)."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"no {BEGIN} ... {END} section to rewrite")
    day = time.strftime("%Y-%m-%d", time.gmtime())
    body = (
        f"{BEGIN}\n"
        f"Generated by `{command}` on {day}, a {cores}-core machine: each figure is the\n"
        f"median over {rounds} alternating rounds, with the range (lowest..highest) in\n"
        "parentheses; ratios are taken per round.\n\n"
        f"{markdown_table(rows)}"
        f"{END}"
    )
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    return pattern.sub(lambda _: body, text, count=1)


def write_markdown(path: Path, rows: list[Row], command: str, rounds: int, cores: int) -> None:
    try:
        path.write_text(with_table(path.read_text(), rows, command, rounds, cores))
    except ValueError as exc:
        raise SystemExit(f"{path}: {exc}") from None
