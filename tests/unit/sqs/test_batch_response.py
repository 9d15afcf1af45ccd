"""ReportBatchItemFailures, by the rules of AWS's "Implementing partial batch responses"."""

import json

import pytest

from serverlite.aws.sqs.mapping.batch_response import evaluate

IDS = {"m1", "m2", "m3"}


@pytest.mark.parametrize(
    "response",
    [
        b"",
        b"null",
        b"{}",
        b'{"batchItemFailures": []}',
        b'{"batchItemFailures": null}',
        b'{"statusCode": 200}',
    ],
)
def test_full_success(response):
    outcome = evaluate(response, IDS)
    assert not outcome.whole_batch
    assert outcome.failed == frozenset()


def test_partial_failure_names_the_failed_messages():
    response = {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}
    outcome = evaluate(json.dumps(response).encode(), IDS)
    assert not outcome.whole_batch
    assert outcome.failed == {"m2", "m3"}


@pytest.mark.parametrize(
    "response",
    [
        b"not json",
        b'"a string"',
        b"[1, 2]",
        b"42",
        b'{"batchItemFailures": "m1"}',
        b'{"batchItemFailures": [{"itemIdentifier": ""}]}',
        b'{"batchItemFailures": [{"itemIdentifier": null}]}',
        b'{"batchItemFailures": [{"messageId": "m1"}]}',  # a bad key name
        b'{"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}',
        b'{"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "zz"}]}',
        b'{"batchItemFailures": ["m1"]}',
    ],
)
def test_whole_batch_failure(response):
    outcome = evaluate(response, IDS)
    assert outcome.whole_batch
    assert outcome.reason
