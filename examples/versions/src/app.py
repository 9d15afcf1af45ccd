"""Says which version ran, how its environment started, and the ARN it was invoked as."""

import os

GREETING = "hello"


def handler(event, context):
    return {
        "greeting": GREETING,
        "version": context.function_version,
        "invoked_arn": context.invoked_function_arn,
        "init_type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
        "pid": os.getpid(),
    }
