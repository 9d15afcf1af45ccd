"""A streaming handler: a generator. Its first item, a dict, is the HTTP prelude
(statusCode, headers, cookies); every later item (str or bytes) is sent to the client
as soon as it is yielded. Lambda has no managed Python streaming runtime; serverlite
streams a generator's chunks (docs/function-urls.md)."""

import json
import time


def handler(event, context):
    query = event.get("queryStringParameters") or {}
    count = int(query.get("count", "3"))
    pause = float(query.get("pause", "0.5"))
    yield {"statusCode": 200, "headers": {"content-type": "text/plain", "x-ticks": str(count)}}
    for tick in range(count):
        yield json.dumps({"tick": tick, "at": time.time()}) + "\n"
        time.sleep(pause)
    yield "done\n"
