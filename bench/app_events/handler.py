"""The EventBridge benchmark's target: one line per event, "<sent> <handled>" (epoch s)."""

import os
import time

OUT = os.environ["BENCH_OUT"]


def handler(event, context):
    now = time.time()
    with open(OUT, "a") as out:
        out.write(f"{event['detail'].get('t', 0.0)} {now}\n")
