"""bench/rounds.py: every side once per round in a rotating order, medians and ranges;
bench/common.py's with_table rewrites only the marked table of a README."""

from __future__ import annotations

import pytest
from bench.common import BEGIN, END, Row, markdown_table, parse_listening, speedup, with_table
from bench.rounds import alternate, per_round, ratio, spread


def test_each_round_runs_every_side_once_in_a_rotating_order():
    order: list[str] = []

    def side(name: str):  # type: ignore[no-untyped-def]
        def run() -> str:
            order.append(name)
            return f"{name}{len(order)}"

        return run

    results = alternate(4, {"a": side("a"), "b": side("b"), "c": side("c")})
    assert order == list("abcbcacababc")
    assert results == {
        "a": ["a1", "a6", "a8", "a10"],
        "b": ["b2", "b4", "b9", "b11"],
        "c": ["c3", "c5", "c7", "c12"],
    }


def test_median_range_and_per_round_ratios():
    assert spread([3.0, 1.0, 2.0]) == spread([1.0, 2.0, 3.0])
    summary = spread([10.0, 30.0, 20.0, 40.0])
    assert (summary.median, summary.low, summary.high) == (25.0, 10.0, 40.0)
    assert summary.show(",.0f", " ms") == "25 ms (10..40)"
    # per round, not the ratio of medians: rounds ran back to back
    assert ratio([10.0, 40.0], [5.0, 10.0]) == spread([2.0, 4.0])
    assert per_round([3.0, 5.0], [1.0, 1.0], lambda a, b: a - b) == spread([2.0, 4.0])
    with pytest.raises(ValueError):
        spread([])


def test_markdown_rewrites_only_the_marked_section():
    readme = f"# Title\n\nbefore\n{BEGIN}\nold table\n{END}\nafter\n"
    rows = [Row("gets | req/s", "1 (1..2)", "2 (2..3)", "50% (33%..100%)", "8 connections")]
    text = with_table(readme, rows, "python bench/run.py --rounds 3", 3, 2)
    assert text.startswith("# Title\n\nbefore\n" + BEGIN + "\n")
    assert text.endswith(END + "\nafter\n")
    assert "old table" not in text
    assert "`python bench/run.py --rounds 3`" in text
    assert "| gets \\| req/s | 1 (1..2) | 2 (2..3) | 50% (33%..100%) | 8 connections |" in text
    with pytest.raises(ValueError):
        with_table("no markers\n", rows, "python bench/run.py", 3, 2)


def test_a_row_with_a_target_is_marked_met_or_missed():
    rows = [
        Row("cold start", "18 ms", "120 ms", "6.7x", target="< 50 ms", met=True),
        Row("req/s", "900", "1,000", "0.9x", target=">= 1x peer", met=False),
        Row("no goal", "1", "1", "1x"),
    ]
    lines = markdown_table(rows).splitlines()
    assert lines[2].endswith("| ✓ < 50 ms |")
    assert lines[3].endswith("| ✗ >= 1x peer |")
    assert lines[4].endswith("| 1x |  |  |")


def test_a_target_is_marked_met_missed_or_unchecked():
    assert Row("b", "1", "2", "", target="<= 1 ms", met=True).verdict == "✓ <= 1 ms"
    assert Row("b", "1", "2", "", target="<= 1 ms", met=False).verdict == "✗ <= 1 ms"
    assert Row("b", "1", "2", "", target="<= 1 ms").verdict == "? <= 1 ms"
    assert Row("b", "1", "2", "").verdict == ""


def test_speedup_is_the_median_of_each_rounds_peer_over_ours():
    assert speedup([1.0, 2.0, 4.0], [3.0, 2.0, 20.0]) == 3.0


TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1
   1: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 222 1
   2: 0100007F:C350 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1
"""


def test_the_port_a_process_listens_on_is_read_from_the_kernels_table():
    assert parse_listening(TCP, {"333"}) == 0xC350
    assert parse_listening(TCP, {"111", "999"}) == 0x1F90
    assert parse_listening(TCP, {"222"}) is None  # a connection, not a listening socket
    assert parse_listening(TCP, set()) is None
