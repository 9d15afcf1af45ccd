"""Shared benchmark helpers: percentiles, a loopback server process, the result table."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
        """The target column: the goal marked ✓ or ✗, so a missed one stands out (a
        target the suite did not check is marked ?, so that shows too)."""
        if self.met is None:
            return f"? {self.target}" if self.target else ""
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


def aws_client(service: str, url: str, **config: Any) -> Any:
    """The one boto3 client every suite measures with, whichever server it talks to:
    no retries (a failure shows), static credentials; ``config``: more botocore Config
    (a pool size, timeouts, checksum settings), the same for both sides of a row."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 0}, **config),
    )


def timed_calls(call: Callable[[int], object], iterations: int) -> list[float]:
    """``call(i)`` for i in range(iterations), one at a time; each one's milliseconds."""
    samples = []
    for i in range(iterations):
        started = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def speedup(ours: list[float], peer: list[float]) -> float:
    """How many times faster serverlite's times were than the peer's: the median over
    the rounds of peer / ours, each round's pair taken together."""
    import statistics

    return statistics.median(b / a for a, b in zip(ours, peer, strict=True) if a)


def _until_output(
    proc: subprocess.Popen[bytes], read: Callable[[], str | None], what: str, seconds: float
) -> str:
    """Poll ``read`` (a server's output, parsed) until it gives a value; fail if the
    server exits or the time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = read()
        if found is not None:
            return found
        if proc.poll() is not None:
            raise RuntimeError(f"{what}: {proc.args[:4]} exited with {proc.returncode}")
        time.sleep(0.02)
    proc.kill()
    raise RuntimeError(f"{what}: not within {seconds:.0f} s")


def listening_port(proc: subprocess.Popen[bytes], seconds: float = 60) -> int:
    """The TCP port a server started on port 0 listens on, from Linux's /proc (its
    sockets' inodes among the kernel's listening ones), for peers that do not all say
    which port they got (chalice local prints 0; uvicorn says so only at log level
    info). The socket is the server's own from its bind on: nothing is probed."""

    def read() -> str | None:
        inodes = set()
        try:
            for fd in Path(f"/proc/{proc.pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    link = os.readlink(fd)
                    if link.startswith("socket:["):
                        inodes.add(link[8:-1])
        except OSError:
            return None
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            port = parse_listening(Path(table).read_text(), inodes)
            if port is not None:
                return str(port)
        return None

    return int(_until_output(proc, read, "the port it listens on", seconds))


def parse_listening(table: str, inodes: set[str]) -> int | None:
    """The local port of the first listening socket among ``inodes`` in a /proc/net/tcp
    (or tcp6) table: columns sl, local address:port (hex), remote, state (0A is
    LISTEN), ..., inode (the tenth)."""
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 9 and fields[3] == "0A" and fields[9] in inodes:
            return int(fields[1].rpartition(":")[2], 16)
    return None


def start_peer(
    argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """A peer server told to listen on port 0 (``argv``); the process and its port."""
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        return proc, listening_port(proc)
    except RuntimeError:
        stop(proc)
        raise


@dataclass(frozen=True)
class Up:
    """A running ``serverlite up``: its start-up output and the ports it bound."""

    proc: subprocess.Popen[bytes]
    output: str
    aws_port: int
    apis: dict[str, str]  # an API's qualified id -> its stage URL

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    def api_port(self, api: str | None = None) -> int:
        """The port of ``api`` (the only API when None)."""
        url = self.apis[api] if api else next(iter(self.apis.values()))
        return int(url.split("/")[2].rpartition(":")[2])


def serverlite_command(template: Path, state_dir: Path | str, *args: str) -> list[str]:
    """``serverlite up`` with every port from the operating system (``--aws-port 0
    --port 0``): no port is probed, so none can be taken between a probe and the bind."""
    return [
        sys.executable, "-m", "serverlite.cli", "up", "-t", str(template),
        "--state-dir", str(state_dir), "--aws-port", "0", "--port", "0", "--no-reload", *args,
    ]  # fmt: skip


def bound_urls(
    proc: subprocess.Popen[bytes], state_dir: Path, seconds: float = 90
) -> dict[str, Any]:
    """What a ``serverlite up`` started on ``state_dir`` bound, from the urls.json it
    writes as soon as its ports are bound (before anything is served); the caller
    removes the last run's file before starting."""
    path = state_dir / "urls.json"

    def read() -> str | None:
        try:
            text = path.read_text()
            json.loads(text)
        except (OSError, ValueError):
            return None
        return text

    found: dict[str, Any] = json.loads(_until_output(proc, read, "serverlite's urls.json", seconds))
    return found


def start_serverlite(
    template: Path, state_dir: Path, *args: str
) -> tuple[subprocess.Popen[bytes], int]:
    """``serverlite up`` on ports from the OS, once its health check answers; the
    process and the AWS endpoint's port. Its output goes to serverlite.log in the state
    directory (a pipe nobody reads would stall it once full)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "urls.json").unlink(missing_ok=True)  # the last run's: not this one's ports
    log_path = state_dir / "serverlite.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            serverlite_command(template, state_dir, *args),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"},
        )
    try:
        aws_port = int(bound_urls(proc, state_dir, 60)["aws"].rpartition(":")[2])
        wait_http(f"http://127.0.0.1:{aws_port}/_serverlite/health", proc, 60)
    except RuntimeError as exc:
        proc.kill()
        raise RuntimeError(f"{exc}:\n{log_path.read_text(errors='replace')[-3000:]}") from None
    return proc, aws_port


@contextmanager
def serverlite_endpoint(template_text: str, *args: str) -> Iterator[str]:
    """``serverlite up`` on a template given as text, on a fresh state directory, until
    the block ends; its AWS endpoint's URL."""
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.yaml"
        template.write_text(template_text)
        proc, port = start_serverlite(template, Path(tmp) / "state", *args)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(proc)


def alternate_calls(
    rounds: int, iterations: int, sides: dict[str, dict[str, Callable[[int], object]]]
) -> dict[tuple[str, str], list[list[float]]]:
    """Each side's operations (side -> operation -> call), each timed ``iterations``
    times a round, in alternating rounds: (side, operation) -> each round's samples."""
    from rounds import alternate

    def timing(call: Callable[[int], object]) -> Callable[[], list[float]]:
        return lambda: timed_calls(call, iterations)

    return alternate(
        rounds,
        {(side, op): timing(call) for side, calls in sides.items() for op, call in calls.items()},
    )


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    """moto's server (in memory) on a port from the OS; the process and its URL once
    it answers."""
    proc, port = start_peer(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
        env={**os.environ, "MOTO_CALL_RESET_API": "false"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/moto-api/", proc)
    except RuntimeError:
        stop(proc)
        raise
    return proc, url


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server until the block ends; its URL."""
    proc, url = start_moto()
    try:
        yield url
    finally:
        stop(proc)


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


def serverlite_up(template: Path, state: str | Path, *args: str, warm: bool = True) -> Up:
    """``serverlite up --warm`` (or without, ``warm=False``) on a template, every port
    from the OS; once it says it is up, its output and the ports it bound."""
    state_dir = Path(state)
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "urls.json").unlink(missing_ok=True)  # the last run's: not this one's ports
    log_path = state_dir / "serverlite.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            serverlite_command(template, state_dir, *(["--warm"] if warm else []), *args),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        )

    def read() -> str | None:
        output = log_path.read_text(errors="replace")
        return output if "serverlite is up" in output else None

    try:
        output = _until_output(proc, read, "serverlite up", 90)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}:\n{log_path.read_text(errors='replace')}") from None
    urls = bound_urls(proc, state_dir)
    return Up(proc, output, int(urls["aws"].rpartition(":")[2]), dict(urls["apis"]))


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
