"""serverlite benchmarks, each side by side with a peer in the same run, as ratios.

    python bench/run.py            (or: make bench)

Every loop is bounded in count; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from burst_bench import burst_rows
from common import Row, print_table
from dynamodb_bench import dynamodb_rows
from events_bench import events_rows
from gateway_bench import gateway_rows
from identity_bench import identity_rows
from lambda_bench import cold_start, warm_invoke
from patients_bench import patients_rows
from sqs_bench import sqs_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    parser.add_argument("--only", nargs="*", metavar="NAME", help=f"run only: {', '.join(SUITES)}")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    rows: list[Row] = []
    for name, suite in SUITES.items():
        if args.only and name not in args.only:
            continue
        try:
            rows += suite(scale)
        except Exception as exc:  # one broken peer must not throw away the other rows
            rows.append(Row(f"{name}: FAILED", type(exc).__name__, str(exc)[:60], "", ""))
    print_table(rows)


SUITES: dict[str, Callable[[float], list[Row]]] = {
    "lambda": lambda scale: [
        *cold_start(iterations=max(5, int(30 * scale))),
        *warm_invoke(iterations=max(200, int(2000 * scale))),
    ],
    "gateway": lambda scale: gateway_rows(requests=max(2000, int(20_000 * scale))),
    "burst": burst_rows,
    "identity": identity_rows,
    "patients": patients_rows,
    "dynamodb": lambda scale: dynamodb_rows(iterations=max(200, int(2000 * scale))),
    "events": events_rows,
    "sqs": sqs_rows,
}


if __name__ == "__main__":
    main()
