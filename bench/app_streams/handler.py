"""The streams benchmark's consumers, one line per record.

Kinesis: "k <partition key> <n> <handled>"; DynamoDB: "d <written> <handled>" (epoch
seconds), so the bench can check order per key and measure latency."""

import base64
import json
import os
import time

OUT = os.environ["BENCH_OUT"]


def kinesis_handler(event, context):
    now = time.time()
    lines = []
    for record in event["Records"]:
        n = json.loads(base64.b64decode(record["kinesis"]["data"]))["n"]
        lines.append(f"k {record['kinesis']['partitionKey']} {n} {now}\n")
    with open(OUT, "a") as out:
        out.write("".join(lines))


def table_handler(event, context):
    now = time.time()
    lines = [f"d {r['dynamodb']['NewImage']['t']['N']} {now}\n" for r in event["Records"]]
    with open(OUT, "a") as out:
        out.write("".join(lines))


handler = kinesis_handler  # what the bench loads for its in-process peer
