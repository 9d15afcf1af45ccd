"""The AWS endpoint's wire protocols: one dispatcher per protocol, shared by every service.

    admission   who may talk to the endpoint at all (Host, Origin, a SigV4 signature)
    body        a request body read within the service's limit; strict JSON
    calls       an operation run from a service's table: unknown names, failures
    faults      a test's injected service errors and latency, met in ``calls``
    json_rpc    JSON 1.0/1.1 (X-Amz-Target): DynamoDB, SQS, SSM, Secrets Manager, EventBridge
    query       form in, XML out: SNS (and SQS for older SDKs)
    rest_json   method + path: Lambda, EventBridge Scheduler
    rest_xml    S3: bucket + key (path- or virtual-hosted-style), streamed bodies
    aws_chunked a streamed request body, SigV4's aws-chunked framing taken off
    presign     presigned URLs' expiry (SigV2 and SigV4 query signing)
    errors      AWS's error shape for each protocol, framework errors by name
    shield      any exception left unanswered: InternalFailure, the connection kept
    lane        Invoke served in front of the middleware chain, with its checks, in one frame

A service gives its operations table and limits; the dispatcher alone answers unknown
operations, malformed bodies, bodies over the limit and unexpected failures, each in
that service's own AWS error shape, and leaves the connection usable.

Protocols to come plug in beside these: smithy-rpc-v2-cbor (CloudWatch:
``POST /service/{service}/operation/{operation}``) is ``json_rpc`` with a CBOR codec,
reusing ``body`` (limits), ``calls`` (tables) and ``admission``.
"""
