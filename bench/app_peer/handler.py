"""The MiniStack comparison's one function: an SQS batch appends one line per record
(the time it was handled) to BENCH_OUT; anything else (an API request, a direct
invoke) is answered at once."""

import os
import time

OUT = os.environ.get("BENCH_OUT", "")


def handler(event, context):
    records = event.get("Records") if isinstance(event, dict) else None
    if records:
        line = f"{time.time()}\n"
        with open(OUT, "a") as out:
            out.write(line * len(records))
        return {}
    return {"statusCode": 200, "body": "ok"}
