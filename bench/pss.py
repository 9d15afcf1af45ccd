"""Proportional set size (PSS) of a process tree, from Linux's /proc.

PSS charges each shared page to the processes sharing it in equal parts, so the PSS
of a tree's processes adds up to what the tree costs the machine: a forked
environment is charged only its own pages and its share of the zygote's. The reading
(``read_tree``) is I/O; parsing and grouping are pure, for the unit tests.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ZYGOTE_MARK = "serverlite.functions.zygote"  # in a zygote's (and its forks') argv


@dataclass(frozen=True)
class Proc:
    pid: int
    parent: int
    argv: str  # /proc/<pid>/cmdline, NULs as spaces
    pss_kib: int


@dataclass(frozen=True)
class TreeMemory:
    """A serverlite process tree's PSS by role, in KiB."""

    main_kib: int
    zygote_kib: dict[int, int]  # zygote pid -> its PSS
    environment_kib: dict[int, list[int]]  # zygote pid -> PSS of each environment it forked
    other_kib: int  # children that are neither (a database, a helper process)

    @property
    def total_kib(self) -> int:
        return (
            self.main_kib
            + sum(self.zygote_kib.values())
            + sum(sum(envs) for envs in self.environment_kib.values())
            + self.other_kib
        )

    @property
    def environments(self) -> list[int]:
        return [kib for envs in self.environment_kib.values() for kib in envs]

    def median_environment_kib(self) -> float:
        return statistics.median(self.environments) if self.environments else 0.0


def parse_pss_kib(smaps_rollup: str) -> int:
    """The ``Pss:`` line of /proc/<pid>/smaps_rollup, in KiB (the kernel writes kB)."""
    for line in smaps_rollup.splitlines():
        if line.startswith("Pss:"):
            fields = line.split()
            if len(fields) < 2 or not fields[1].isdigit():
                break
            return int(fields[1])
    raise ValueError("no Pss line in smaps_rollup")


def parse_parent(stat: str) -> int:
    """The parent pid from /proc/<pid>/stat (after the command name, which may hold
    spaces and parentheses, so split after its last ')')."""
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def group(root: int, procs: Mapping[int, Proc]) -> TreeMemory:
    """``procs`` (the tree under ``root``) by role: ``root`` is serverlite; a child
    whose argv runs the zygote module is a zygote; a zygote's children are its
    environments (forks, so they carry its argv too); the rest is other."""
    if root not in procs:
        raise ValueError(f"process {root} is not in the tree")
    children: dict[int, list[int]] = {}
    for proc in procs.values():
        if proc.pid != root:
            children.setdefault(proc.parent, []).append(proc.pid)
    zygotes = {
        pid: procs[pid].pss_kib for pid in children.get(root, []) if ZYGOTE_MARK in procs[pid].argv
    }
    environments: dict[int, list[int]] = {}
    counted = {root, *zygotes}
    for zygote in zygotes:
        environments[zygote] = []
        stack = list(children.get(zygote, []))
        while stack:  # an environment's own children (a subprocess it ran) are its cost
            pid = stack.pop()
            counted.add(pid)
            below = _descendants(pid, children)
            counted.update(below)
            environments[zygote].append(procs[pid].pss_kib + sum(procs[p].pss_kib for p in below))
    other = sum(proc.pss_kib for pid, proc in procs.items() if pid not in counted)
    return TreeMemory(procs[root].pss_kib, zygotes, environments, other)


def _descendants(pid: int, children: Mapping[int, list[int]]) -> list[int]:
    found: list[int] = []
    stack = list(children.get(pid, []))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(children.get(child, []))
    return found


def read_proc(pid: int, proc_root: Path = Path("/proc")) -> Proc:
    base = proc_root / str(pid)
    argv = (base / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return Proc(
        pid,
        parse_parent((base / "stat").read_text()),
        argv.strip(),
        parse_pss_kib((base / "smaps_rollup").read_text()),
    )


def read_tree(root: int, proc_root: Path = Path("/proc")) -> dict[int, Proc]:
    """Every process under ``root`` (itself included), found through each thread's
    ``children`` file; one that exits while being read is left out."""
    procs: dict[int, Proc] = {}
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            procs[pid] = read_proc(pid, proc_root)
            kids: set[int] = set()
            for task in (proc_root / str(pid) / "task").iterdir():
                kids.update(int(k) for k in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            procs.pop(pid, None)
            continue
        stack.extend(kids - procs.keys())
    return procs
