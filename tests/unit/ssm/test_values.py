import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.ssm import values


def test_standard_holds_4096_characters():
    assert values.resolve_tier(None, None, "x" * 4096) == "Standard"
    with pytest.raises(AwsError) as info:
        values.resolve_tier(None, None, "x" * 4097)
    assert info.value.code == "ValidationException"
    assert info.value.message.startswith(
        "Standard tier parameters support a maximum parameter value of 4096 characters."
    )


def test_advanced_holds_8192_characters():
    assert values.resolve_tier("Advanced", None, "x" * 8192) == "Advanced"
    with pytest.raises(AwsError):
        values.resolve_tier("Advanced", None, "x" * 8193)


def test_intelligent_tiering_picks_the_tier_that_fits():
    assert values.resolve_tier("Intelligent-Tiering", None, "small") == "Standard"
    assert values.resolve_tier("Intelligent-Tiering", None, "x" * 5000) == "Advanced"
    assert values.resolve_tier("Intelligent-Tiering", "Advanced", "small") == "Advanced"


def test_an_advanced_parameter_stays_advanced():
    assert values.resolve_tier(None, "Advanced", "small") == "Advanced"
    with pytest.raises(AwsError) as info:
        values.resolve_tier("Standard", "Advanced", "small")
    assert "can't downgrade" in info.value.message


def test_unknown_type_and_tier_use_aws_constraint_wording():
    with pytest.raises(AwsError) as info:
        values.check_type("Number")
    assert info.value.message == (
        "1 validation error detected: Value 'Number' at 'type' failed to satisfy constraint: "
        "Member must satisfy enum value set: [SecureString, StringList, String]"
    )
    with pytest.raises(AwsError):
        values.resolve_tier("Premium", None, "v")


def test_allowed_pattern_must_match_the_whole_value():
    values.check_pattern(r"\d+", "123")
    with pytest.raises(AwsError) as info:
        values.check_pattern(r"\d", "123")
    assert info.value.code == "ParameterPatternMismatchException"
    with pytest.raises(AwsError) as info:
        values.check_pattern("(", "x")
    assert info.value.code == "InvalidAllowedPatternException"


@pytest.mark.parametrize("size", [27, 1000, values.ADVANCED_MAX - 1])
def test_a_catastrophic_allowed_pattern_is_answered_as_a_mismatch(size):
    # (a+)+ against a^n! backtracks 2^n steps in Python's and Java's engines (27 a's froze
    # every port for 4.8 s). Here it is answered with AWS's mismatch answer for any n up
    # to the largest value SSM accepts: the test finishing is the bound.
    with pytest.raises(AwsError) as info:
        values.check_pattern("(a+)+", "a" * size + "!")
    assert info.value.code == "ParameterPatternMismatchException"
    values.check_pattern("(a+)+", "a" * size)


@pytest.mark.parametrize("pattern", [r"(a)\1", r"a(?=b)", r"(?<!x)a", "a++"])
def test_backtracking_only_patterns_are_refused_naming_why(pattern):
    with pytest.raises(AwsError) as info:
        values.check_pattern(pattern, "a")
    assert info.value.code == "InvalidAllowedPatternException"
    assert "linear-time engine" in info.value.message


def test_data_types():
    assert values.check_data_type("text", "String", "x") == "text"
    assert values.check_data_type("aws:ec2:image", "String", "ami-0123456789abcdef0")
    with pytest.raises(AwsError):
        values.check_data_type("aws:ec2:image", "String", "not-an-ami")
    with pytest.raises(AwsError) as info:
        values.check_data_type("Text", "String", "x")
    assert "Data type names are all lowercase" in info.value.message


def test_description_limit():
    values.check_description("d" * 1024)
    with pytest.raises(AwsError):
        values.check_description("d" * 1025)
