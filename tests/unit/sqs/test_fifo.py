import hashlib

import pytest

from serverlite.aws.sqs import fifo
from serverlite.aws.sqs.errors import SqsError
from serverlite.aws.sqs.message_input import NewMessage


def test_explicit_deduplication_id_wins():
    message = NewMessage(body="b", dedup_id="d1", group_id="g")
    assert fifo.dedup_id(message, content_based=True) == "d1"


def test_content_based_deduplication_is_the_sha256_of_the_body():
    message = NewMessage(body="hello", group_id="g")
    assert fifo.dedup_id(message, True) == hashlib.sha256(b"hello").hexdigest()


def test_no_deduplication_id_without_content_based_deduplication():
    with pytest.raises(SqsError) as caught:
        fifo.dedup_id(NewMessage(body="b", group_id="g"), content_based=False)
    assert "ContentBasedDeduplication" in caught.value.message


def test_deduplication_scope():
    assert fifo.dedup_key("d", "g1", per_group=False) == fifo.dedup_key("d", "g2", per_group=False)
    assert fifo.dedup_key("d", "g1", per_group=True) != fifo.dedup_key("d", "g2", per_group=True)


def test_sequence_numbers_are_20_digits_and_increase():
    numbers = [fifo.sequence_number(seq) for seq in (1, 2, 10, 999_999)]
    assert all(len(n) == 20 for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
