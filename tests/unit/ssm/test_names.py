import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.ssm import names

REGION, ACCOUNT = "us-east-1", "123456789012"


@pytest.mark.parametrize(
    "name",
    [
        "MyParameter1",
        "/MyParameter2",
        "/Dev/Production/East/Project-ABC/MyParameter",
        "/a.b/c_d/e-f",
        "/Level-1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/parameter-name",
    ],
)
def test_valid_names(name):
    names.check_new_name(name, REGION, ACCOUNT)


@pytest.mark.parametrize(
    "name",
    [
        "MyParameter3/L1",  # a hierarchy must start with a slash
        "/has space",
        "/bad@char",
        "/a//b",
        "/trailing/",
        "awsTestParameter",
        "SSM-testparameter",
        "/aws/testparam1",
        "/Ssm/x",
    ],
)
def test_invalid_names_get_aws_one_message(name):
    with pytest.raises(AwsError) as info:
        names.check_new_name(name, REGION, ACCOUNT)
    assert info.value.code == "ValidationException"
    assert info.value.message == names.INVALID_NAME


def test_sixteen_levels_is_too_deep():
    name = "/" + "/".join(f"L{i}" for i in range(1, 16)) + "/parameter-name"
    with pytest.raises(AwsError) as info:
        names.check_new_name(name, REGION, ACCOUNT)
    assert info.value.code == "HierarchyLevelLimitExceededException"
    assert "maximum of 15 levels" in info.value.message


def test_length_counts_the_whole_arn():
    prefix = len(names.arn(REGION, ACCOUNT, "/"))
    names.check_new_name("/" + "a" * (names.MAX_ARN_LENGTH - prefix), REGION, ACCOUNT)
    with pytest.raises(AwsError) as info:
        names.check_new_name("/" + "a" * (names.MAX_ARN_LENGTH - prefix + 1), REGION, ACCOUNT)
    assert info.value.code == "ValidationException"


def test_reads_accept_reserved_prefixes():
    names.check_name("/aws/service/global-infrastructure/regions")
    with pytest.raises(AwsError):
        names.check_name("a/b")


def test_slash_and_no_slash_name_one_parameter():
    assert names.name_key("TestParam1") == names.name_key("/TestParam1") == "/TestParam1"
    assert names.name_key("/Test/TestParam1") != names.name_key("/TestParam1")


def test_arn_drops_the_leading_slash():
    assert names.arn(REGION, ACCOUNT, "/a/b") == "arn:aws:ssm:us-east-1:123456789012:parameter/a/b"
    assert names.arn(REGION, ACCOUNT, "plain") == (
        "arn:aws:ssm:us-east-1:123456789012:parameter/plain"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/a/b", names.Reference("/a/b")),
        ("/a/b:3", names.Reference("/a/b", version=3)),
        ("/a/b:prod", names.Reference("/a/b", label="prod")),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/a/b", names.Reference("/a/b")),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/a/b:2", names.Reference("/a/b", 2)),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/plain", names.Reference("/plain")),
    ],
)
def test_references(text, expected):
    reference = names.parse_reference(text)
    assert names.name_key(reference.name) == names.name_key(expected.name)
    assert (reference.version, reference.label) == (expected.version, expected.label)


def test_selector_is_echoed_as_aws_shows_it():
    assert names.parse_reference("/a:3").selector == ":3"
    assert names.parse_reference("/a:prod").selector == ":prod"
    assert names.parse_reference("/a").selector is None


@pytest.mark.parametrize("text", ["/a:", "/a b:1", "arn:aws:ssm:us-east-1:1:document/x"])
def test_bad_references(text):
    with pytest.raises(AwsError):
        names.parse_reference(text)


@pytest.mark.parametrize(
    ("name", "path", "recursive", "expected"),
    [
        ("/a/b", "/a", False, True),
        ("/a/b", "/a/", False, True),
        ("/a/b/c", "/a", False, False),
        ("/a/b/c", "/a", True, True),
        ("/a", "/a", True, False),  # the path itself is not under itself
        ("/ab/c", "/a", True, False),  # a prefix of a segment is not a parent
        ("plain", "/", False, True),
        ("/top", "/", False, True),
        ("/top/deeper", "/", False, False),
        ("/top/deeper", "/", True, True),
    ],
)
def test_path_matching(name, path, recursive, expected):
    assert names.in_path(name, names.check_path(path), recursive=recursive) is expected


@pytest.mark.parametrize("path", ["a/b", "", "/a//b", "/a b"])
def test_bad_paths(path):
    with pytest.raises(AwsError) as info:
        names.check_path(path)
    assert info.value.message == names.INVALID_PATH


@pytest.mark.parametrize(
    ("label", "valid"),
    [
        ("prod", True),
        ("release-1.2_b", True),
        ("1st", False),
        ("awsLabel", False),
        ("SSMthing", False),
        ("has/slash", False),
        ("x" * 100, True),
        ("x" * 101, False),
    ],
)
def test_labels(label, valid):
    assert names.valid_label(label) is valid
