import json
import random
import string

import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.secretsmanager import passwords
from serverlite.aws.secretsmanager.passwords import PasswordSpec, generate_password


def rng(seed=7):
    return random.Random(seed)


def test_default_is_32_characters_of_every_type():
    password = generate_password(PasswordSpec(), rng())
    assert len(password) == 32
    assert any(c in string.ascii_lowercase for c in password)
    assert any(c in string.ascii_uppercase for c in password)
    assert any(c in string.digits for c in password)
    assert any(c in passwords.PUNCTUATION for c in password)
    assert " " not in password


@pytest.mark.parametrize("seed", range(50))
def test_require_each_included_type_holds_even_when_short(seed):
    password = generate_password(PasswordSpec(length=4), rng(seed))
    assert {
        any(c in chars for c in password)
        for chars in (
            string.ascii_lowercase,
            string.ascii_uppercase,
            string.digits,
            passwords.PUNCTUATION,
        )
    } == {True}


def test_exclusions():
    spec = PasswordSpec(
        length=200,
        exclude_punctuation=True,
        exclude_uppercase=True,
        exclude_characters="abc012",
    )
    password = generate_password(spec, rng())
    assert set(password) <= set(string.ascii_lowercase + string.digits) - set("abc012")


def test_include_space():
    password = generate_password(PasswordSpec(length=400, include_space=True), rng())
    assert " " in password


def test_everything_excluded_is_an_error():
    spec = PasswordSpec(
        exclude_numbers=True,
        exclude_punctuation=True,
        exclude_uppercase=True,
        exclude_lowercase=True,
    )
    with pytest.raises(AwsError) as info:
        generate_password(spec, rng())
    assert info.value.code == "InvalidParameterException"


def test_too_short_for_each_type():
    with pytest.raises(AwsError):
        generate_password(PasswordSpec(length=3), rng())
    assert len(generate_password(PasswordSpec(length=3, require_each_included_type=False))) == 3


@pytest.mark.parametrize("length", [0, 4097])
def test_length_range(length):
    with pytest.raises(AwsError):
        generate_password(PasswordSpec(length=length), rng())


def test_spec_from_request_and_template_flags():
    spec = passwords.spec_from(
        {"PasswordLength": "16", "ExcludePunctuation": "true", "IncludeSpace": False}
    )
    assert spec == PasswordSpec(length=16, exclude_punctuation=True, include_space=False)
    with pytest.raises(AwsError):
        passwords.spec_from({"ExcludeNumbers": "maybe"})


def test_generate_secret_string_fills_the_template():
    value = passwords.generate_secret_string(
        {
            "SecretStringTemplate": '{"username": "admin"}',
            "GenerateStringKey": "password",
            "PasswordLength": 20,
            "ExcludeCharacters": '"@/\\',
        },
        rng(),
    )
    document = json.loads(value)
    assert document["username"] == "admin"
    assert len(document["password"]) == 20
    assert not set(document["password"]) & set('"@/\\')


def test_generate_secret_string_without_a_template_is_the_password():
    assert len(passwords.generate_secret_string({"PasswordLength": 12}, rng())) == 12


@pytest.mark.parametrize(
    "generate",
    [
        {"SecretStringTemplate": '{"a": 1}'},
        {"GenerateStringKey": "password"},
        {"SecretStringTemplate": "[1]", "GenerateStringKey": "password"},
        {"SecretStringTemplate": "{", "GenerateStringKey": "password"},
    ],
)
def test_generate_secret_string_errors(generate):
    with pytest.raises(AwsError):
        passwords.generate_secret_string(generate, rng())
