"""The CLI's client commands (``serverlite queues``, ``send``, ``redrive``, ``put-event``):
they talk to a running ``serverlite up`` over its AWS endpoint with boto3, as any
client would, and import nothing of the services they talk to.

    client      a boto3 client for the endpoint, and errors a person can act on
    queues      queues, send, redrive (SQS)
    put_event   put-event (EventBridge)
"""
