"""SQS event source mappings: queues polled for Lambda functions, as Lambda does.

spec            the mappings a template declares, checked as AWS checks them
records         the event a function receives ({"Records": [...]}, like sqsEvent.json)
filtering       FilterCriteria (EventBridge patterns on body and attributes)
batch_response  ReportBatchItemFailures: which messages failed, by AWS's rules
poller          one mapping's pollers: receive, invoke, delete, scale
runner          every enabled mapping's poller, started and stopped with `up`
"""
