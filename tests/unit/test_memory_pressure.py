"""What the pool reads of the machine's memory and of an environment's: MemAvailable
from /proc/meminfo, and the private pages of /proc/<pid>/smaps_rollup."""

from __future__ import annotations

from serverlite.functions.environment_process import parse_private_kb
from serverlite.functions.pool import parse_mem_available_mb

MEMINFO = """\
MemTotal:       24683772 kB
MemFree:        15831956 kB
MemAvailable:   22566388 kB
Buffers:          123456 kB
"""

ROLLUP = """\
55d0c0a8e000-7ffd1b5f1000 ---p 00000000 00:00 0                          [rollup]
Rss:               21340 kB
Pss:                9876 kB
Shared_Clean:      11000 kB
Shared_Dirty:       5000 kB
Private_Clean:       340 kB
Private_Dirty:      5000 kB
"""


def test_available_memory_is_memavailable_in_mb() -> None:
    assert parse_mem_available_mb(MEMINFO) == 22566388 // 1024


def test_a_kernel_without_memavailable_says_nothing() -> None:
    assert parse_mem_available_mb("MemTotal: 1 kB\nMemFree: 1 kB\n") is None


def test_what_killing_an_environment_frees_is_its_private_pages() -> None:
    assert parse_private_kb(ROLLUP) == 5340
    assert parse_private_kb("Rss: 10 kB\n") == 0
