"""Memory (issues 15 and 22), as PSS from /proc/<pid>/smaps_rollup (see pss.py).

Idle: the tree of ``serverlite up`` (no --warm) on a one-function app (bench/app), once
its zygote is up and nothing has been invoked: the figure issue 22 sets a target for.

Warm: ``serverlite up`` on bench/app_memory, then its functions invoked in stages, the
tree read after each (once the zygotes are done working): the first trivial function
(forked from the light zygote, which then preloads the SDK), four
more trivial ones, three that make a boto3 client (the same zygote), then three that
import Powertools (a zygote of their own: the first, then two more). What a warm
environment costs the machine is how much its zygote and that zygote's forks grew
together, per environment, over a stage whose zygote was already preloaded: PSS
splits the zygote's pages among its forks, so an environment's own PSS holds a share
of pages it only reads. Both are reported. The peer is the minimum a process needs to
hold the same handler warm: a plain ``python -c`` that imports it, calls it once and
waits. Each round starts serverlite afresh on the same state directory (the
requirement sets are installed once, in the first round).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

from common import ROOT, Row, aws_client, serverlite_up, stop
from pss import TreeMemory, group, read_proc, read_tree
from rounds import alternate, ratio, spread

APP = ROOT / "bench" / "app_memory"
ONE_FUNCTION = ROOT / "bench" / "app" / "template.yaml"
SETTLE_S = 1.0  # the kernel's page accounting after the last reply
IDLE_TARGET_MIB = 40.0  # issue 22: the idle tree of a one-function app
WARM_TARGET_MIB = 8.0  # issue 22: what one more warm environment costs
# (stage, functions invoked in it); each stage's tree is read after its invocations.
STAGES = (
    ("first", ["Trivial1"]),
    ("trivial", [f"Trivial{i}" for i in range(2, 6)]),
    ("client", [f"Client{i}" for i in range(1, 4)]),
    ("powertools-first", ["Powertools1"]),
    ("powertools", ["Powertools2", "Powertools3"]),
)


def _lambda(aws_port: int) -> Any:
    return aws_client("lambda", f"http://127.0.0.1:{aws_port}", read_timeout=120)


def _functions_kib(tree: TreeMemory) -> int:
    """The zygotes and their environments (not the main process, whose own noise of a
    few hundred KiB per invocation is not an environment's)."""
    return sum(tree.zygote_kib.values()) + sum(tree.environments)


@dataclass(frozen=True)
class Staged:
    idle: TreeMemory
    after: dict[str, TreeMemory]  # stage -> the tree after its invocations

    def added_mib(self, stage: str) -> float:
        """PSS one environment of ``stage`` added to its zygote and that zygote's forks."""
        names = [s for s, _ in STAGES]
        before = self.after[names[names.index(stage) - 1]]
        count = len(dict(STAGES)[stage])
        return (_functions_kib(self.after[stage]) - _functions_kib(before)) / count / 1024


def _wait_for_zygote(pid: int, seconds: float = 60) -> TreeMemory:
    """The tree once its zygotes are up (they may start after `up` says it is)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tree = group(pid, read_tree(pid))
        if tree.zygote_kib:
            time.sleep(SETTLE_S)
            return group(pid, read_tree(pid))
        time.sleep(0.1)
    raise RuntimeError("no zygote started")


def _cpu_ticks(pid: int) -> int:
    """User + system clock ticks of ``pid`` so far (0: gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _zygotes_quiet(pid: int, seconds: float = 60) -> None:
    """Until no zygote of the tree is working: a zygote preloads the SDK after its first
    fork, in the background, and the next stage must not count what it adds then."""
    deadline = time.monotonic() + seconds
    zygotes = list(group(pid, read_tree(pid)).zygote_kib)
    before = [_cpu_ticks(z) for z in zygotes]
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = [_cpu_ticks(z) for z in zygotes]
        if now == before:
            return
        before = now
    raise RuntimeError("the zygotes kept working")


def _idle_one_function(state: str) -> TreeMemory:
    proc = serverlite_up(ONE_FUNCTION, state, warm=False).proc
    try:
        return _wait_for_zygote(proc.pid)
    finally:
        stop(proc)


def _staged(state: str) -> Staged:
    up = serverlite_up(APP / "template.yaml", state, warm=False)
    proc, aws_port = up.proc, up.aws_port
    try:
        idle = _wait_for_zygote(proc.pid)
        client = _lambda(aws_port)
        after: dict[str, TreeMemory] = {}
        for stage, functions in STAGES:
            for name in functions:
                reply = client.invoke(FunctionName=name, Payload=b"{}")
                if "FunctionError" in reply:
                    raise RuntimeError(f"{name}: {reply['Payload'].read()[:300]!r}")
            _zygotes_quiet(proc.pid)
            time.sleep(SETTLE_S)
            after[stage] = group(proc.pid, read_tree(proc.pid))
    finally:
        stop(proc)
    return Staged(idle, after)


def _peer(code_dir: Path, module: str, *flags: str) -> int:
    """PSS (KiB) of a plain Python that imported ``module`` and called its handler once."""
    code = (
        f"import sys; sys.path.insert(0, {str(code_dir)!r}); import {module}; "
        f"{module}.handler({{}}, None); print('ready', flush=True); sys.stdin.read()"
    )
    proc = subprocess.Popen(
        [sys.executable, *flags, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError(f"peer {module} failed: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(SETTLE_S)
        return read_proc(proc.pid).pss_kib
    finally:
        proc.kill()
        proc.wait()


def _mib(kib: float) -> float:
    return kib / 1024


def memory_rows(rounds: int, scale: float = 1.0) -> list[Row]:
    with tempfile.TemporaryDirectory() as state, tempfile.TemporaryDirectory() as one:
        sides: dict[str, Callable[[], Any]] = {
            "one-function": lambda: _idle_one_function(one),
            "serverlite": lambda: _staged(state),
            # -s -S -P, as serverlite starts a function's Python: no site-packages
            "trivial": lambda: _peer(APP / "trivial", "trivial", "-s", "-S", "-P"),
            "client": lambda: _peer(APP / "client", "client_fn"),
            # serverlite's own environment holds Powertools, so the peer imports it
            "powertools": lambda: _peer(APP / "powertools", "powertools_fn"),
        }
        results = alternate(rounds, sides)
    one_fn: list[TreeMemory] = results["one-function"]
    staged: list[Staged] = results["serverlite"]

    idle_one = [_mib(t.total_kib) for t in one_fn]
    idle_one_main = [_mib(t.main_kib) for t in one_fn]
    idle_one_zygote = [_mib(sum(t.zygote_kib.values())) for t in one_fn]
    idle = [_mib(s.idle.total_kib) for s in staged]
    warm_total = [_mib(s.after[STAGES[-1][0]].total_kib) for s in staged]
    zygote_idle = [_mib(median(s.idle.zygote_kib.values())) for s in staged]
    first = [_mib(_functions_kib(s.after["first"]) - _functions_kib(s.idle)) for s in staged]

    def warm_row(stage: str, what: str, peer: list[int], peer_name: str, setup: str) -> Row:
        added = [s.added_mib(stage) for s in staged]
        peers = [_mib(k) for k in peer]
        return Row(
            f"PSS added per warm environment, {what} ({len(dict(STAGES)[stage])} more)",
            f"{spread(added).show('.1f', ' MiB')}",
            f"{spread(peers).show('.1f', ' MiB')} {peer_name}",
            f"{ratio(added, peers).show('.2f', 'x')} the plain process",
            setup,
            f"<= {WARM_TARGET_MIB:.0f} MiB",
            spread(added).median <= WARM_TARGET_MIB,
        )

    functions = sum(len(names) for _, names in STAGES)
    return [
        Row(
            "idle `serverlite up` tree PSS, one-function app, none invoked yet",
            f"{spread(idle_one).show('.1f', ' MiB')}: main "
            f"{spread(idle_one_main).show('.1f', ' MiB')}, zygote "
            f"{spread(idle_one_zygote).show('.1f', ' MiB')}",
            "",
            "",
            "bench/app (1 function); main process + its zygote (started light: it "
            "preloads the SDK after its first environment); /proc/<pid>/smaps_rollup",
            f"<= {IDLE_TARGET_MIB:.0f} MiB",
            spread(idle_one).median <= IDLE_TARGET_MIB,
        ),
        Row(
            f"idle `serverlite up` tree PSS, {functions} functions on 2 zygotes, none invoked",
            f"{spread(idle).show('.1f', ' MiB')}; each zygote "
            f"{spread(zygote_idle).show('.1f', ' MiB')}",
            "",
            "",
            "bench/app_memory: main process + one zygote per requirement set",
            "",
        ),
        Row(
            "first environment of a zygote (forked light, importing what its handler "
            "needs) + the zygote's SDK preload after it (PSS added)",
            f"{spread(first).show('.1f', ' MiB')}",
            "",
            "",
            "boto3, botocore and the models of the services serverlite serves, shared "
            "by every later fork",
            "",
        ),
        warm_row(
            "trivial",
            "trivial handler",
            results["trivial"],
            "plain `python -s -S -P -c` holding the handler",
            "python3.11; peer: the minimum a process needs to keep the handler warm",
        ),
        warm_row(
            "client",
            "handler making a boto3 DynamoDB client",
            results["client"],
            "plain `python -c` holding the handler",
            "the client made at import, as the reference system's handlers do",
        ),
        warm_row(
            "powertools",
            "handler importing Powertools (requirements.txt)",
            results["powertools"],
            "plain `python -c` importing it",
            "aws-lambda-powertools 3.37.0 (Logger, Metrics) on its own zygote",
        ),
        Row(
            f"whole tree PSS with {functions} warm environments",
            f"{spread(warm_total).show('.1f', ' MiB')}",
            "",
            "",
            "main process + 2 zygotes + their environments",
            "",
        ),
    ]
