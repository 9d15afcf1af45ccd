import os


def handler(event, context):
    return {"ticker": os.environ["TICKER_URL"]}
