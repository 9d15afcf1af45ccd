"""MD5 digests against values AWS returned (AWS's documentation and SDK test vectors)."""

import pytest

from serverlite.aws.sqs.checksums import AttributeValue, md5_of_attributes, md5_of_body


def string(value, kind="String"):
    return AttributeValue(kind, string_value=value)


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        # The SellerName example of AWS's "Calculating the MD5 message digest" page.
        ({"SellerName": string("Example Store")}, "cd28f3b68aeee4b2eac9c66f2f694b58"),
        # Order of the request does not matter: attributes are sorted by name.
        (
            {
                "test_attribute_name_2": string("test_attribute_value_2"),
                "test_attribute_name_1": string("test_attribute_value_1"),
            },
            "d53f3b558fe951154770f25cb63dbba9",
        ),
        # Number values are sent as strings, with transport type 1 like strings.
        (
            {"ordinal": string("1", "Number"), "category": string("test")},
            "d21ae90c49061e927f57df5f5d72be1f",
        ),
        (
            {"test_attribute_name": AttributeValue("Binary", binary_value=b"test_attribute_value")},
            "23f6bd27ea87aab7dfeadcc9aebee495",
        ),
    ],
)
def test_md5_of_message_attributes_matches_aws(attributes, expected):
    assert md5_of_attributes(attributes.items()) == expected


def test_md5_of_body_matches_the_sample_event():
    # tests/fixtures/aws-events/sqsEvent.json: body "Test message."
    assert md5_of_body("Test message.") == "e4e68fb7bd0e697a0ae8f1bb342846b3"


def test_custom_types_are_part_of_the_digest():
    plain = md5_of_attributes([("n", string("1", "Number"))])
    custom = md5_of_attributes([("n", string("1", "Number.int"))])
    assert plain != custom
