"""serverlite benchmarks, each side by side with a peer in the same run, as ratios.

    python bench/run.py            (or: make bench)

Every loop is bounded in count; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

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
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    rows: list[Row] = []
    rows += cold_start(iterations=max(5, int(30 * scale)))
    rows += warm_invoke(iterations=max(200, int(2000 * scale)))
    rows += gateway_rows(requests=max(2000, int(20_000 * scale)))
    rows += identity_rows(scale)
    rows += patients_rows(scale)
    rows += dynamodb_rows(iterations=max(200, int(2000 * scale)))
    rows += events_rows(scale)
    rows += sqs_rows(scale)
    print_table(rows)


if __name__ == "__main__":
    main()
