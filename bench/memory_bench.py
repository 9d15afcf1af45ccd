"""Memory per warm environment (issue 15), as PSS: ``serverlite up`` (no --warm) on
bench/app_memory (five trivial functions and one that imports Powertools from its
requirements.txt), the tree read once idle (serverlite and its zygotes), then once
after one invocation of each function, from /proc/<pid>/smaps_rollup (see pss.py).
An environment's own PSS includes its share of its zygote's pages; what it costs the
machine is how much (zygote + its forks) grew, per fork: both are reported. The
peer is the minimum a process needs to hold the same handler warm: a plain
``python -c`` that imports it, calls it once and waits. Each round starts serverlite
afresh on the same state directory (the requirement set is installed once, in the
first round)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

import boto3
from botocore.config import Config

from common import ROOT, Row, free_port, serverlite_up, stop
from pss import TreeMemory, group, read_proc, read_tree
from rounds import alternate, ratio, spread

APP = ROOT / "bench" / "app_memory"
TRIVIAL = [f"Trivial{i}" for i in range(1, 6)]
POWERTOOLS = "Powertools"
SETTLE_S = 1.0  # the kernel's page accounting after the last reply


def _lambda(aws_port: int) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=f"http://127.0.0.1:{aws_port}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}, read_timeout=120),
    )


def _serverlite(state: str) -> tuple[TreeMemory, TreeMemory, int]:
    """The tree idle, then with every function warm; the Powertools zygote's pid."""
    port, aws_port = free_port(), free_port()
    proc, _output = serverlite_up(APP / "template.yaml", state, port, aws_port, warm=False)
    try:
        time.sleep(SETTLE_S)
        idle = group(proc.pid, read_tree(proc.pid))
        client = _lambda(aws_port)
        for name in [*TRIVIAL, POWERTOOLS]:
            reply = client.invoke(FunctionName=name, Payload=b"{}")
            if "FunctionError" in reply:
                raise RuntimeError(f"{name}: {reply['Payload'].read()[:300]!r}")
        time.sleep(SETTLE_S)
        warm = group(proc.pid, read_tree(proc.pid))
    finally:
        stop(proc)
    # The Powertools zygote is the one that forked a single environment: the five
    # trivial functions share the zygote of the empty requirement set.
    powertools = min(warm.environment_kib, key=lambda z: len(warm.environment_kib[z]))
    return idle, warm, powertools


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


def memory_rows(rounds: int, scale: float = 1.0) -> list[Row]:
    with tempfile.TemporaryDirectory() as state:
        results = alternate(
            rounds,
            {
                "serverlite": lambda: _serverlite(state),
                # -s -S -P, as serverlite starts a function's Python: no site-packages
                "trivial": lambda: _peer(APP / "trivial", "trivial", "-s", "-S", "-P"),
                # serverlite's own environment holds Powertools, so the peer imports it
                "powertools": lambda: _peer(APP / "powertools", "powertools_fn"),
            },
        )
    ours = results["serverlite"]

    def mib(kib: float) -> float:
        return kib / 1024

    idle = [mib(i.total_kib) for i, _, _ in ours]
    warm_total = [mib(w.total_kib) for _, w, _ in ours]

    def added(idle: TreeMemory, warm: TreeMemory, zygote: int) -> float:
        """What a zygote's environments added to the tree, per environment: PSS splits
        the zygote's pages among its forks, so the growth of (zygote + its forks) is
        what the machine pays for them."""
        envs = warm.environment_kib[zygote]
        grown = warm.zygote_kib[zygote] + sum(envs) - idle.zygote_kib[zygote]
        return mib(grown / len(envs))

    def plain(warm: TreeMemory, pt: int) -> int:
        return next(z for z in warm.zygote_kib if z != pt)

    trivial = [mib(median(w.environment_kib[plain(w, p)])) for _, w, p in ours]
    trivial_added = [added(i, w, plain(w, p)) for i, w, p in ours]
    powertools = [mib(w.environment_kib[p][0]) for _, w, p in ours]
    powertools_added = [added(i, w, p) for i, w, p in ours]
    zygote_plain = [mib(i.zygote_kib[plain(w, p)]) for i, w, p in ours]
    zygote_pt = [mib(i.zygote_kib[p]) for i, _, p in ours]
    peer_trivial = [mib(k) for k in results["trivial"]]
    peer_pt = [mib(k) for k in results["powertools"]]
    functions = len(TRIVIAL) + 1
    return [
        Row(
            f"idle `serverlite up` tree PSS, {functions} functions, none invoked yet",
            f"{spread(idle).show('.1f', ' MiB')}",
            "",
            "",
            "main process + its 2 zygotes (started at `up`); from /proc/<pid>/smaps_rollup",
            "",
        ),
        Row(
            "zygote PSS, python3.11, idle: no requirements / Powertools set",
            f"{spread(zygote_plain).show('.1f', ' MiB')} / {spread(zygote_pt).show('.1f', ' MiB')}",
            "",
            "",
            "one zygote per (interpreter, requirement set); each preloads boto3/botocore",
            "",
        ),
        Row(
            f"PSS added per warm environment, trivial handler ({len(TRIVIAL)} warm)",
            f"{spread(trivial_added).show('.1f', ' MiB')}; each process's own PSS "
            f"{spread(trivial).show('.1f', ' MiB')}",
            f"{spread(peer_trivial).show('.1f', ' MiB')} plain `python -s -S -P -c` "
            "holding the handler",
            f"{ratio(trivial_added, peer_trivial).show('.2f', 'x')} the plain process",
            "added = growth of (zygote + its forks) / forks, as PSS splits the zygote's "
            "pages among them; python3.11; peer: the minimum a process needs to keep the "
            "handler warm (no boto3)",
            "",
        ),
        Row(
            "PSS added per warm environment, handler importing Powertools (requirements.txt)",
            f"{spread(powertools_added).show('.1f', ' MiB')}; the process's own PSS "
            f"{spread(powertools).show('.1f', ' MiB')}",
            f"{spread(peer_pt).show('.1f', ' MiB')} plain `python -c` importing it",
            f"{ratio(powertools_added, peer_pt).show('.2f', 'x')} the plain process",
            "aws-lambda-powertools 3.37.0 (Logger, Metrics), alone on its zygote (so its "
            "own PSS holds half the zygote's pages)",
            "",
        ),
        Row(
            f"whole tree PSS with {functions} warm environments",
            f"{spread(warm_total).show('.1f', ' MiB')}",
            "",
            "",
            "main process + 2 zygotes + 6 environments",
            "",
        ),
    ]
