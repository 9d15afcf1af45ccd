import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.ssm import filters
from serverlite.aws.ssm.records import ParameterVersion


def version(name, kind="String", **fields):
    key = name if name.startswith("/") else f"/{name}"
    return ParameterVersion(
        key=key,
        name=name,
        version=1,
        type=kind,
        value=b"v",
        tier=fields.pop("tier", "Standard"),
        data_type="text",
        modified=0.0,
        **fields,
    )


PARAMS = [
    version("/app/db/url"),
    version("/app/db/password", "SecureString", key_id="alias/aws/ssm"),
    version("/app/hosts", "StringList", tags={"team": "core"}),
    version("/other/x", tier="Advanced", labels=("prod",)),
    version("plain"),
]


def select(raw, allowed=filters.DESCRIBE_KEYS):
    predicates = [p for _, p in filters.parameter_filters(raw, allowed)]
    return [v.name for v in PARAMS if all(p(v) for p in predicates)]


def test_type_equals():
    assert select([{"Key": "Type", "Values": ["SecureString", "StringList"]}]) == [
        "/app/db/password",
        "/app/hosts",
    ]


def test_name_options():
    assert select([{"Key": "Name", "Values": ["plain"]}]) == ["plain"]
    assert select([{"Key": "Name", "Values": ["/plain"]}]) == ["plain"]
    assert select([{"Key": "Name", "Option": "BeginsWith", "Values": ["/app/db"]}]) == [
        "/app/db/url",
        "/app/db/password",
    ]
    assert select([{"Key": "Name", "Option": "Contains", "Values": ["host"]}]) == ["/app/hosts"]


def test_path_one_level_and_recursive():
    assert select([{"Key": "Path", "Values": ["/app"]}]) == ["/app/hosts"]
    assert select([{"Key": "Path", "Option": "Recursive", "Values": ["/app"]}]) == [
        "/app/db/url",
        "/app/db/password",
        "/app/hosts",
    ]


def test_tier_keyid_tags_labels():
    assert select([{"Key": "Tier", "Values": ["Advanced"]}]) == ["/other/x"]
    assert select([{"Key": "KeyId", "Values": ["alias/aws/ssm"]}]) == ["/app/db/password"]
    assert select([{"Key": "tag:team", "Values": ["core"]}]) == ["/app/hosts"]
    assert select([{"Key": "tag:team"}]) == ["/app/hosts"]
    assert select([{"Key": "Label", "Values": ["prod"]}], filters.BY_PATH_KEYS) == ["/other/x"]


def test_filters_combine_with_and():
    raw = [
        {"Key": "Path", "Option": "Recursive", "Values": ["/app"]},
        {"Key": "Type", "Values": ["String"]},
    ]
    assert select(raw) == ["/app/db/url"]


@pytest.mark.parametrize(
    ("raw", "allowed", "code"),
    [
        ([{"Key": "Name", "Values": ["x"]}], filters.BY_PATH_KEYS, "InvalidFilterKey"),
        ([{"Key": "Colour", "Values": ["x"]}], filters.DESCRIBE_KEYS, "InvalidFilterKey"),
        (
            [{"Key": "Name", "Option": "Like", "Values": ["x"]}],
            filters.DESCRIBE_KEYS,
            "InvalidFilterOption",
        ),
        ([{"Key": "Type", "Values": ["Number"]}], filters.DESCRIBE_KEYS, "InvalidFilterValue"),
    ],
)
def test_bad_filters(raw, allowed, code):
    with pytest.raises(AwsError) as info:
        filters.parameter_filters(raw, allowed)
    assert info.value.code == code


def test_legacy_filters():
    predicates = filters.legacy_filters([{"Key": "Name", "Values": ["/app/db"]}])
    assert [v.name for v in PARAMS if all(p(v) for p in predicates)] == [
        "/app/db/url",
        "/app/db/password",
    ]


def test_tokens_round_trip_and_reject_garbage():
    assert filters.decode_token(filters.encode_token("/a/b")) == "/a/b"
    assert filters.decode_token(None) is None
    with pytest.raises(AwsError) as info:
        filters.decode_token("not a token")
    assert info.value.code == "InvalidNextToken"


def test_page_size_limits():
    assert filters.page_size(None, maximum=10, default=10) == 10
    assert filters.page_size(3, maximum=10, default=10) == 3
    with pytest.raises(AwsError) as info:
        filters.page_size(11, maximum=10, default=10)
    assert "Member must have value less than or equal to 10" in info.value.message
