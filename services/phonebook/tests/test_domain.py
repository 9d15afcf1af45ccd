import pytest
from phonebook.domain import InvalidContact, check_id, parse_contact, parse_limit


def test_a_valid_contact_is_normalised():
    contact = parse_contact(
        "c-1",
        {"name": "  Ada   Lovelace ", "phones": ["+441632960961"], "email": "ada@example.com"},
    )
    assert contact.name == "Ada Lovelace"
    assert contact.phones == ("+441632960961",)
    assert contact.to_item() == {
        "id": "c-1",
        "name": "Ada Lovelace",
        "phones": ["+441632960961"],
        "email": "ada@example.com",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "name is required"),
        ({"name": "   "}, "name is required"),
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"name": "A", "phones": "+14155552671"}, "must be a list"),
        ({"name": "A", "phones": ["555-1234"]}, "E.164"),
        ({"name": "A", "phones": ["+0123"]}, "E.164"),
        ({"name": "A", "phones": ["+1415555267199999"]}, "E.164"),
        ({"name": "A", "phones": ["+14155552671", "+14155552671"]}, "must not repeat"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "id": "other"}, "unknown fields: id"),
        (["not", "an", "object"], "JSON object"),
    ],
)
def test_invalid_contacts_say_why(body, message):
    with pytest.raises(InvalidContact, match=message):
        parse_contact("c-1", body)


def test_ids_and_limits():
    assert check_id("abc_DEF-123") == "abc_DEF-123"
    for bad in ("", "a/b", "x" * 65, "a b"):
        with pytest.raises(InvalidContact):
            check_id(bad)
    assert parse_limit(None) == 25
    assert parse_limit("100") == 100
    for bad in ("0", "101", "-1", "ten"):
        with pytest.raises(InvalidContact):
            parse_limit(bad)
