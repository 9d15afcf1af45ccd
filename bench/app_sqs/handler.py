"""The SQS benchmark's consumer: one line per record, "<sent> <handled>" (epoch seconds)."""

import json
import os
import time

OUT = os.environ["BENCH_OUT"]


def handler(event, context):
    now = time.time()
    lines = []
    for record in event["Records"]:
        body = record["body"]
        sent = json.loads(body)["t"] if body.startswith("{") else 0.0
        lines.append(f"{sent} {now}\n")
    with open(OUT, "a") as out:
        out.write("".join(lines))
