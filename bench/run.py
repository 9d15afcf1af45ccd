"""serverlite benchmarks, each side by side with a peer doing the same work.

    python bench/run.py [--rounds N] [--quick] [--only NAME ...] [--markdown FILE]
    (or: make bench ARGS="--rounds 5")

Every suite starts its servers once, then runs N rounds; in each round every side
(serverlite and its peers) runs the same load once, in an order that rotates each
round. Each figure is the median over the rounds with its range (lowest..highest);
ratios are taken per round. ``--markdown FILE`` rewrites the table between the
``<!-- bench:begin -->`` and ``<!-- bench:end -->`` lines of FILE (the README), with
the command that produced it. Every loop is bounded; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from burst_bench import burst_rows
from common import Row, markdown_table, print_table, write_markdown
from console_cost_bench import console_rows
from deps_bench import deps_rows
from dynamodb_bench import dynamodb_rows
from events_bench import events_rows
from gateway_bench import gateway_rows
from iam_bench import iam_rows
from identity_bench import identity_rows
from lambda_bench import lambda_rows
from memory_bench import memory_rows
from ministack_bench import ministack_rows
from observe_bench import observe_rows
from patients_bench import patients_rows
from s3_bench import s3_rows
from sqs_bench import sqs_rows
from startup_bench import startup_rows
from stepfunctions_bench import stepfunctions_rows
from streams_bench import streams_rows

# Each suite: (rounds, scale) -> rows. Scale 1.0 is a full run; --quick is 0.2.
SUITES: dict[str, Callable[[int, float], list[Row]]] = {
    "startup": startup_rows,
    "lambda": lambda_rows,
    "gateway": gateway_rows,
    "console": console_rows,
    "observe": observe_rows,
    "burst": burst_rows,
    "identity": identity_rows,
    "patients": patients_rows,
    "dynamodb": dynamodb_rows,
    "iam": iam_rows,
    "events": events_rows,
    "sqs": sqs_rows,
    "s3": s3_rows,
    "stepfunctions": stepfunctions_rows,
    "streams": streams_rows,
    "deps": deps_rows,
    "memory": memory_rows,
    "ministack": ministack_rows,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--quick", action="store_true", help="smaller loads (smoke run)")
    parser.add_argument("--only", nargs="*", metavar="NAME", help=f"run only: {', '.join(SUITES)}")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="rewrite FILE's table")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "last-run.md",
        metavar="FILE",
        help="where the table is written too (default bench/last-run.md)",
    )
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    unknown = set(args.only or ()) - set(SUITES)
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(sorted(unknown))}")
    scale = 0.2 if args.quick else 1.0
    rows: list[Row] = []
    started = time.monotonic()
    for name, suite in SUITES.items():
        if args.only and name not in args.only:
            continue
        suite_started = time.monotonic()
        print(f"{name}: running {args.rounds} rounds...", file=sys.stderr, flush=True)
        try:
            rows += suite(args.rounds, scale)
        except Exception as exc:  # one broken peer must not throw away the other rows
            rows.append(Row(f"{name}: FAILED", type(exc).__name__, str(exc)[:80], ""))
        print(f"{name}: {time.monotonic() - suite_started:.0f} s", file=sys.stderr, flush=True)
    minutes = (time.monotonic() - started) / 60
    cores = os.cpu_count() or 1
    title = (
        f"serverlite benchmarks: median (range) over {args.rounds} alternating rounds, "
        f"{cores} cores, {minutes:.1f} min"
    )
    print_table(rows, title)
    args.out.write_text(f"{title}\n\n{markdown_table(rows)}")
    print(f"table written to {args.out}", file=sys.stderr)
    if args.markdown is not None:
        command = "python bench/run.py " + shlex.join(sys.argv[1:])
        write_markdown(args.markdown, rows, command, args.rounds, cores)


if __name__ == "__main__":
    main()
