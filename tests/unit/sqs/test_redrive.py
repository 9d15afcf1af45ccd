import pytest

from serverlite.aws.sqs import redrive
from serverlite.aws.sqs.errors import SqsError

POLICY = redrive.RedrivePolicy("arn:aws:sqs:us-east-1:123456789012:dlq", 3)


def test_a_message_moves_when_one_more_receive_would_exceed_max_receive_count():
    # Received 0, 1, 2 times: delivered again. Received 3 times: the next receive moves it.
    assert [redrive.should_move(n, POLICY) for n in range(5)] == [False, False, False, True, True]
    assert not redrive.should_move(100, None)


def test_receives_before_the_move_equal_max_receive_count():
    count, deliveries = 0, 0
    while not redrive.should_move(count, POLICY):
        count += 1  # a receive
        deliveries += 1
    assert deliveries == POLICY.max_receive_count


def test_policy_round_trip_gives_max_receive_count_as_a_number():
    policy = redrive.parse_redrive_policy(
        '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq", "maxReceiveCount": "5"}'
    )
    assert policy is not None
    assert policy.to_json() == (
        '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":5}'
    )
    assert redrive.parse_redrive_policy("") is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("nope", "not a valid JSON map"),
        ('{"maxReceiveCount": 5}', "mandatory attribute: deadLetterTargetArn"),
        ('{"deadLetterTargetArn": "arn:aws:sqs:r:1:q"}', "mandatory attribute: maxReceiveCount"),
        (
            '{"deadLetterTargetArn": "arn:aws:sqs:r:1:q", "maxReceiveCount": 0}',
            "valid values are from 1 to 1000 both inclusive",
        ),
    ],
)
def test_invalid_redrive_policies(text, reason):
    with pytest.raises(SqsError) as caught:
        redrive.parse_redrive_policy(text)
    assert caught.value.code == "InvalidParameterValue"
    assert reason in caught.value.message


def test_redrive_allow_policy():
    allow = redrive.parse_redrive_allow_policy(
        '{"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:r:1:a"]}'
    )
    assert allow is not None
    assert allow.allows("arn:aws:sqs:r:1:a")
    assert not allow.allows("arn:aws:sqs:r:1:b")
    deny = redrive.parse_redrive_allow_policy('{"redrivePermission": "denyAll"}')
    assert deny is not None
    assert not deny.allows("arn:aws:sqs:r:1:a")
    with pytest.raises(SqsError):
        redrive.parse_redrive_allow_policy('{"redrivePermission": "byQueue"}')
