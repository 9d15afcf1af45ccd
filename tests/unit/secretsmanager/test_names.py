import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.secretsmanager import names

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbC123"


@pytest.mark.parametrize("name", ["db", "prod/db", "a+b=c.d@e-f_g", "x" * 512])
def test_valid_names(name):
    assert names.check_name(name) == name


@pytest.mark.parametrize("name", ["", "has space", "semi;colon", "x" * 513, "ünï"])
def test_invalid_names(name):
    with pytest.raises(AwsError) as info:
        names.check_name(name)
    assert info.value.code == "InvalidParameterException"
    assert info.value.message.startswith("Invalid name.")


def test_arn_has_a_six_character_suffix():
    suffix = names.new_suffix()
    assert len(suffix) == 6
    assert set(suffix) <= set(names.SUFFIX_ALPHABET)
    arn = names.arn("us-east-1", "123456789012", "prod/db", suffix)
    assert arn == f"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-{suffix}"
    assert names.name_in_arn(arn) == "prod/db"


@pytest.mark.parametrize(
    ("secret_id", "matches"),
    [
        ("prod/db", True),
        (ARN, True),
        (ARN[:-7], True),  # a partial ARN: without the suffix
        ("prod/db-AbC123", False),  # a name is compared as a name
        (ARN[:-1], False),
        ("prod", False),
    ],
)
def test_secret_ids(secret_id, matches):
    assert names.SecretId(secret_id).matches(ARN, "prod/db") is matches
