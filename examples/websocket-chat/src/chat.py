"""The chat's handlers: plain Lambda code, deployable to AWS unchanged.

The Management API endpoint is built from the event the way AWS's samples build it:
https://{requestContext.domainName}/{requestContext.stage}.
"""

import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def authorize(event, context):
    token = (event.get("queryStringParameters") or {}).get("token")
    effect = "Allow" if token == "letmein" else "Deny"
    return {
        "principalId": "chat-user",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
            ],
        },
        "context": {"nickname": (event.get("queryStringParameters") or {}).get("name", "anon")},
    }


def on_connect(event, context):
    ctx = event["requestContext"]
    TABLE.put_item(
        Item={"connectionId": ctx["connectionId"], "nickname": ctx["authorizer"]["nickname"]}
    )
    return {"statusCode": 200}


def on_disconnect(event, context):
    TABLE.delete_item(Key={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200}


def send_message(event, context):
    ctx = event["requestContext"]
    api = boto3.client(
        "apigatewaymanagementapi", endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}"
    )
    sender = ctx["connectionId"]
    data = json.loads(event["body"])["data"]
    message = json.dumps({"from": ctx["authorizer"]["nickname"], "data": data}).encode()
    for item in TABLE.scan()["Items"]:
        if item["connectionId"] == sender:
            continue
        try:
            api.post_to_connection(ConnectionId=item["connectionId"], Data=message)
        except api.exceptions.GoneException:
            TABLE.delete_item(Key={"connectionId": item["connectionId"]})
    return {"statusCode": 200}


def default(event, context):
    ctx = event["requestContext"]
    api = boto3.client(
        "apigatewaymanagementapi", endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}"
    )
    me = api.get_connection(ConnectionId=ctx["connectionId"])
    return {
        "statusCode": 200,
        "body": json.dumps({"echo": event["body"], "sourceIp": me["Identity"]["SourceIp"]}),
    }
