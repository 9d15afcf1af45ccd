"""bench/pss.py: the Pss line of smaps_rollup, the parent from /proc/<pid>/stat, and a
serverlite process tree grouped into main process, zygotes, environments and others."""

from __future__ import annotations

import pytest
from bench.pss import Proc, group, parse_parent, parse_pss_kib

ROLLUP = """\
55d0c0a8e000-7ffd1b5f1000 ---p 00000000 00:00 0                          [rollup]
Rss:               21340 kB
Pss:                9876 kB
Pss_Anon:           4100 kB
Pss_File:           5776 kB
Shared_Clean:      11000 kB
"""

ZYGOTE = "/usr/bin/python3.11 -s -S -P -c import sys; from serverlite.functions.zygote import main"


def test_the_pss_line_not_its_breakdown_is_read_in_kib():
    assert parse_pss_kib(ROLLUP) == 9876


def test_a_rollup_without_pss_is_an_error():
    with pytest.raises(ValueError):
        parse_pss_kib("Rss: 10 kB\n")


def test_the_parent_is_found_after_a_command_name_with_spaces_and_parentheses():
    assert parse_parent("4242 (odd (name) x) S 17 4242 4242 0 -1") == 17


def _tree() -> dict[int, Proc]:
    procs = [
        Proc(1, 0, "python -m serverlite.cli up", 50_000),
        Proc(2, 1, ZYGOTE + " []", 8_000),  # the empty requirement set's zygote
        Proc(3, 1, ZYGOTE + ' ["/state/deps/abc"]', 12_000),  # Powertools' zygote
        Proc(4, 1, "postgres -D /state/pg", 3_000),  # another child
        Proc(10, 2, ZYGOTE + " []", 1_000),
        Proc(11, 2, ZYGOTE + " []", 1_200),
        Proc(12, 2, ZYGOTE + " []", 1_100),
        Proc(20, 3, ZYGOTE, 4_000),
        Proc(21, 20, "sh -c true", 500),  # a subprocess an environment ran
    ]
    return {p.pid: p for p in procs}


def test_a_tree_is_grouped_by_role_and_adds_up():
    memory = group(1, _tree())
    assert memory.main_kib == 50_000
    assert memory.zygote_kib == {2: 8_000, 3: 12_000}
    assert sorted(memory.environment_kib[2]) == [1_000, 1_100, 1_200]
    assert memory.environment_kib[3] == [4_500]  # its subprocess is its cost
    assert memory.other_kib == 3_000
    assert memory.total_kib == sum(p.pss_kib for p in _tree().values())
    assert memory.median_environment_kib() == 1_150


def test_an_idle_tree_has_no_environments():
    memory = group(1, {1: Proc(1, 0, "serverlite up", 40_000)})
    assert memory.environments == [] and memory.median_environment_kib() == 0.0
    assert memory.total_kib == 40_000


def test_the_root_must_be_in_the_tree():
    with pytest.raises(ValueError):
        group(9, _tree())
