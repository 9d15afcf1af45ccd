"""A 1 ms handler that answers with its environment's process id."""

import os
import time


def handler(event, context):
    time.sleep(0.001)
    return {"statusCode": 200, "body": str(os.getpid())}
