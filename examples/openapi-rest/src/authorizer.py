"""A TOKEN authorizer: "Bearer letmein" is allowed as user-1, anything else is refused."""


def handler(event, context):
    if event["authorizationToken"] != "Bearer letmein":
        raise Exception("Unauthorized")  # API Gateway answers 401
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
            ],
        },
    }
