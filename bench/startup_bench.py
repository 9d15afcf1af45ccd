"""Start-up (issue 22): from the process's start to its first answers, as a user waits.

Each round starts ``serverlite up`` on a fresh state directory (cold) and then again on
the state the first start left (restart), for two applications: bench/app_startup
(one function behind an HTTP API, one DynamoDB table, one SQS queue) and the reference
system (template.yaml at the root: every service, PostgreSQL included). From the
moment the process is started, two clients ask at once, each until it is answered:
DynamoDB ListTables on the AWS endpoint (boto3), and a GET on an API route whose
function has not run yet (so its answer includes the function's cold start). Both
times are taken on the client's clock. serverlite's own modules are byte-compiled
first, as ``pip install`` leaves them (a checkout run with PYTHONDONTWRITEBYTECODE=1
would compile them on every start). The dependency cache is the machine's (shared
across state directories), so a cold state does not install packages again.

A peer is a ``Side``: a callable that starts its server on a state directory and
returns its two times; ``_peers`` lists the peers that run beside serverlite (MiniStack
on the one-function app: bench/ministack_bench.py makes its resources through its API
on a cold state, as it has no templates).
"""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from common import ROOT, Row, bound_urls, stop
from rounds import alternate, ratio, spread

ONE_FUNCTION = ROOT / "bench" / "app_startup" / "template.yaml"
REFERENCE = ROOT / "template.yaml"
DEADLINE_S = 120.0
POLL_S = 0.005


@dataclass(frozen=True)
class App:
    name: str
    template: Path
    api: str  # the API's qualified id, as urls.json names it
    path: str  # a GET route on it, answered by a function
    target_s: float  # issue 22's goal for both first answers


APPS = (
    App("1 function, 1 table, 1 queue", ONE_FUNCTION, "ServerlessHttpApi", "/hello", 0.25),
    App(
        "reference system (template.yaml, with PostgreSQL)",
        REFERENCE,
        "Quickstart/ServerlessHttpApi",
        "/greet/bench",
        1.0,
    ),
)


@dataclass(frozen=True)
class Times:
    list_tables_s: float  # start -> first ListTables answered
    api_s: float  # start -> first API answer (a function's cold start included)
    # CPU seconds (user + system) the server's main process had used by the first
    # ListTables answer: what a quiet machine would take at least, whatever the load.
    cpu_s: float | None = None


Side = Callable[[App, Path], Times]


def _until(deadline: float, attempt: Callable[[], bool]) -> float:
    """Call ``attempt`` until it returns True; the monotonic time it did."""
    while time.monotonic() < deadline:
        try:
            if attempt():
                return time.monotonic()
        except Exception:  # not listening yet, or not ready: ask again
            pass
        time.sleep(POLL_S)
    raise RuntimeError("no answer within the deadline")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _first_answers(
    started: float,
    aws_port: int,
    api_url: Callable[[], str | None],
    cpu: Callable[[], float] | None = None,
) -> Times:
    """ListTables and the API route asked at once, each on a thread of its own."""
    client: Any = boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{aws_port}",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 0}, connect_timeout=1, read_timeout=60),
    )
    deadline = started + DEADLINE_S
    found: dict[str, float] = {}

    def list_tables() -> None:
        found["list"] = _until(deadline, lambda: bool(client.list_tables() or True))
        if cpu is not None:
            found["cpu"] = cpu()

    def get() -> bool:
        url = api_url()
        if url is None:
            return False
        with urllib.request.urlopen(url, timeout=60) as reply:
            reply.read()
            return bool(reply.status == 200)

    def api() -> None:
        found["api"] = _until(deadline, get)

    threads = [threading.Thread(target=list_tables), threading.Thread(target=api)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if "list" not in found or "api" not in found:
        raise RuntimeError("serverlite did not answer within the deadline")
    return Times(found["list"] - started, found["api"] - started, found.get("cpu"))


def serverlite_side(app: App, state: Path) -> Times:
    (state / "urls.json").unlink(missing_ok=True)  # the last run's: not this one's ports
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "serverlite.cli",
            "up",
            "-t",
            str(app.template),
            "--port",
            "0",
            "--aws-port",
            "0",
            "--state-dir",
            str(state),
            "--no-reload",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        # The ports come from the OS: urls.json names them once bound, before anything
        # is served (read on the same clock, so a late bind counts).
        urls = bound_urls(proc, state, DEADLINE_S)
        aws_port = int(urls["aws"].rpartition(":")[2])
        base = urls["apis"].get(app.api)
        if base is None:
            raise RuntimeError(f"{app.template} serves no API {app.api}")
        return _first_answers(
            started, aws_port, lambda: base.rstrip("/") + app.path, lambda: process_cpu_s(proc.pid)
        )
    finally:
        stop(proc)


def _ministack(app: App, state: Path) -> Times:
    from ministack_bench import startup_side

    return Times(*startup_side(state, app.path))


def _peers() -> dict[str, tuple[Side, frozenset[Path]]]:
    """Peers beside serverlite: name -> (its Side, the templates it runs). MiniStack
    (bench/ministack_bench.py) runs the one-function app, when installed (make bench)."""
    from ministack_bench import MINISTACK_PYTHON

    found: dict[str, tuple[Side, frozenset[Path]]] = {}
    if MINISTACK_PYTHON.exists():
        found["MiniStack"] = (_ministack, frozenset({ONE_FUNCTION}))
    return found


def _compile_serverlite() -> None:
    import serverlite

    compileall.compile_dir(Path(serverlite.__file__).parent, quiet=1, workers=1)


def _measure(rounds: int, app: App) -> dict[str, list[tuple[Times, Times]]]:
    """Per side and round: (cold, restart)."""
    tmp = Path(tempfile.mkdtemp(prefix="startup-bench-"))

    def cold_then_restart(side: Side, name: str) -> Callable[[], tuple[Times, Times]]:
        def run() -> tuple[Times, Times]:
            state = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=tmp))
            return side(app, state), side(app, state)

        return run

    sides = {"serverlite": cold_then_restart(serverlite_side, "serverlite")}
    sides |= {
        name: cold_then_restart(side, name)
        for name, (side, templates) in _peers().items()
        if app.template in templates
    }
    return alternate(rounds, sides)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f})"


def startup_rows(rounds: int, scale: float = 1.0) -> list[Row]:
    _compile_serverlite()
    rows: list[Row] = []
    for app in APPS:
        results = _measure(max(3, rounds), app)
        load = _load()
        for label, index in (("cold state", 0), ("restart on its state", 1)):
            ours = [pair[index] for pair in results["serverlite"]]
            for what, pick in (
                ("first ListTables OK", lambda t: t.list_tables_s),
                ("first API answer", lambda t: t.api_s),
            ):
                figures = [pick(t) for t in ours]
                peers = "; ".join(
                    f"{name} {spread([pick(p[index]) for p in got]).show('.2f', ' s')}"
                    for name, got in results.items()
                    if name != "serverlite"
                )
                spread_ = spread(figures)
                cpu = [t.cpu_s for t in ours if t.cpu_s is not None]
                setup = f"from process start, on the client's clock; {len(figures)} rounds; {load}"
                if cpu and what == "first ListTables OK":
                    setup += f"; serverlite's process had used {spread(cpu).show('.2f', ' s')} CPU"
                versus = ""
                if "MiniStack" in results:  # rounds alternate, so a ratio is per round
                    theirs = [pick(p[index]) for p in results["MiniStack"]]
                    versus = f"{ratio(figures, theirs).show('.0%')} of MiniStack's"
                rows.append(
                    Row(
                        f"start → {what}, {app.name}, {label}",
                        spread_.show(".2f", " s"),
                        peers,
                        versus,
                        setup,
                        f"≤ {app.target_s:g} s",
                        spread_.median <= app.target_s,
                    )
                )
    return rows


if __name__ == "__main__":
    from common import print_table

    print_table(startup_rows(int(sys.argv[1]) if len(sys.argv) > 1 else 3), "start-up")
