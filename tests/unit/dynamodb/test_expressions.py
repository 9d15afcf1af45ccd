import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.dynamodb.expressions import (
    Placeholders,
    apply,
    evaluate,
    parse_condition,
    parse_projection,
    parse_update,
    project,
)

ITEM = {
    "id": {"S": "1"},
    "name": {"S": "Ada Lovelace"},
    "age": {"N": "36"},
    "tags": {"SS": ["math", "poetry"]},
    "scores": {"NS": ["1", "2"]},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "raw": {"B": "AAEC"},
    "lst": {"L": [{"S": "a"}, {"N": "2"}, {"M": {"deep": {"S": "x"}}}]},
    "mp": {"M": {"nest": {"M": {"value": {"N": "5"}}}, "s": {"S": "text"}}},
}
VALUES = {
    ":36": {"N": "36"},
    ":40": {"N": "40"},
    ":ada": {"S": "Ada"},
    ":math": {"S": "math"},
    ":one": {"N": "1"},
    ":two": {"N": "2"},
    ":x": {"S": "x"},
    ":SS": {"S": "SS"},
    ":name": {"S": "Ada Lovelace"},
    ":list": {"L": [{"S": "z"}]},
    ":set": {"SS": ["new", "math"]},
}


def placeholders(names=None, values=None):
    return Placeholders(names, values if values is not None else VALUES)


def check(expression, names=None):
    return evaluate(parse_condition(expression, "ConditionExpression", placeholders(names)), ITEM)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("age = :36", True),
        ("age <> :36", False),
        ("absent <> :36", True),  # a missing attribute is "not equal"
        ("absent = :36", False),
        ("age < :40 AND age >= :36", True),
        ("age > :ada", False),  # different types never compare
        ("age BETWEEN :36 AND :40", True),
        ("age IN (:one, :two, :36)", True),
        ("begins_with(#n, :ada)", True),
        ("contains(tags, :math)", True),
        ("contains(#n, :ada)", True),
        ("contains(scores, :two)", True),
        ("contains(lst, :two)", True),
        ("contains(tags, :one)", False),
        ("attribute_exists(mp.nest.#v)", True),
        ("attribute_not_exists(mp.nope)", True),
        ("attribute_exists(lst[2].deep)", True),
        ("attribute_exists(lst[3])", False),
        ("attribute_type(tags, :SS)", True),
        ("size(#n) = :name OR size(tags) = :two", True),
        ("size(age) = :one", False),  # size of a number is undefined
        ("NOT attribute_exists(flag) OR flag = flag", True),
        ("(age = :one OR age = :36) AND NOT (age = :40)", True),
        ("age = :one OR age = :36 AND age = :40", False),  # AND binds tighter than OR
        ("mp.nest.#v > :one", True),
        ("lst[1] = :two", True),
    ],
)
def test_conditions(expression, expected):
    names = {"#n": "name", "#v": "value"}
    used = {k: v for k, v in names.items() if k in expression}
    assert check(expression, used or None) is expected


def test_keywords_are_case_insensitive_and_functions_are_not():
    assert check("age = :36 and not age = :40 or age between :one and :two")
    with pytest.raises(AwsError, match="Invalid function name; function: Size"):
        check("Size(age) = :one")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "Invalid ConditionExpression: The expression can not be empty;"),
        ("age = = :36", 'Invalid ConditionExpression: Syntax error; token: "=", near: "= = :36"'),
        ("age = ", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "'),
        ("age $ :36", 'Invalid ConditionExpression: Syntax error; token: "$", near: "age $"'),
        ("status = :36", "Invalid ConditionExpression: Attribute name is a reserved keyword; "
                         "reserved keyword: status"),
        ("#missing = :36", "Invalid ConditionExpression: An expression attribute name used in "
                           "the document path is not defined; attribute name: #missing"),
        ("age = :nope", "Invalid ConditionExpression: An expression attribute value used in "
                        "expression is not defined; attribute value: :nope"),
        ("foo(age)", "Invalid ConditionExpression: Invalid function name; function: foo"),
        ("attribute_exists(age, tags)", "Invalid ConditionExpression: Incorrect number of "
         "operands for operator or function; operator or function: attribute_exists, number "
         "of operands: 2"),
        ("attribute_exists(:36)", "Invalid ConditionExpression: Operator or function requires "
         "a document path; operator or function: attribute_exists"),
        ("begins_with(age, :one)", "Invalid ConditionExpression: Incorrect operand type for "
         "operator or function; operator or function: begins_with, operand type: N"),
        ("attribute_type(age, :x)", "Invalid ConditionExpression: Invalid attribute type name "
         "found; type: x, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
        ("age BETWEEN :40 AND :36", "Invalid ConditionExpression: The BETWEEN operator "
         "requires upper bound to be greater than or equal to lower bound; lower bound "
         "operand: AttributeValue: {N:40}, upper bound operand: AttributeValue: {N:36}"),
        ("age < :list", "Invalid ConditionExpression: Incorrect operand type for operator or "
         "function; operator or function: <, operand type: L"),
        ("if_not_exists(age, :one) = :one", "Invalid ConditionExpression: The function is not "
         "allowed to be used this way in an expression; function: if_not_exists"),
    ],
)  # fmt: skip
def test_condition_errors_are_worded_as_aws(expression, message):
    with pytest.raises(AwsError) as caught:
        parse_condition(expression, "ConditionExpression", placeholders())
    assert caught.value.code == "ValidationException"
    assert caught.value.message == message


def test_syntax_errors_are_reported_before_undefined_names():
    with pytest.raises(AwsError, match="Syntax error"):
        parse_condition("#undefined = = :36", "ConditionExpression", placeholders())


def test_unused_placeholders_are_reported():
    p = placeholders({"#n": "name", "#unused": "x"}, {":36": {"N": "36"}, ":spare": {"N": "1"}})
    parse_condition("#n = :36", "ConditionExpression", p)
    with pytest.raises(AwsError) as caught:
        p.check_unused()
    assert caught.value.message == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"
    )
    p.names.pop("#unused")
    with pytest.raises(AwsError) as caught:
        p.check_unused()
    assert caught.value.message == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:spare}"
    )


def test_placeholder_maps_are_checked():
    with pytest.raises(AwsError, match="ExpressionAttributeValues must not be empty"):
        Placeholders(None, {})
    with pytest.raises(AwsError, match='contains invalid key: Syntax error; key: "x"'):
        Placeholders({"x": "y"})


# -- updates -------------------------------------------------------------------------------


def update(expression, item=None, names=None):
    return apply(parse_update(expression, placeholders(names)), item if item is not None else ITEM)


def test_set_with_arithmetic_functions_and_nested_paths():
    result = update(
        "SET age = age + :one, cnt = if_not_exists(cnt, :40) - :two, "
        "joined = list_append(:list, lst), mp.nest.#v = :x, lst[1] = :x, lst[9] = :one",
        names={"#v": "value"},
    )
    assert result["age"] == {"N": "37"}
    assert result["cnt"] == {"N": "38"}
    assert result["joined"]["L"][:2] == [{"S": "z"}, {"S": "a"}]
    assert result["lst"]["L"][1] == {"S": "x"}
    assert result["lst"]["L"][-1] == {"N": "1"}  # past the end appends
    assert result["mp"]["M"]["nest"]["M"]["value"] == {"S": "x"}
    assert ITEM["age"] == {"N": "36"}  # the original is untouched


def test_operands_are_read_before_any_action():
    result = update("SET a = #n, #n = :x", item={"name": {"S": "old"}}, names={"#n": "name"})
    assert result == {"a": {"S": "old"}, "name": {"S": "x"}}


def test_remove_add_delete():
    result = update(
        "REMOVE lst[0], lst[2], flag ADD age :one, tags :set DELETE scores :set2".replace(
            ":set2", ":set"
        ),
        item={**ITEM, "scores": {"SS": ["math", "keep"]}},
    )
    assert result["lst"] == {"L": [{"N": "2"}]}
    assert "flag" not in result
    assert result["age"] == {"N": "37"}
    assert sorted(result["tags"]["SS"]) == ["math", "new", "poetry"]
    assert result["scores"] == {"SS": ["keep"]}


def test_delete_of_the_last_members_removes_the_attribute():
    result = update("DELETE tags :set", item={"tags": {"SS": ["math"]}})
    assert "tags" not in result


def test_add_creates_missing_numbers_and_sets():
    assert update("ADD n :one, s :set", item={}) == {"n": {"N": "1"}, "s": {"SS": ["new", "math"]}}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("SET age = age + :x", "Invalid UpdateExpression: Incorrect operand type for operator "
         "or function; operator or function: +, operand type: S"),
        ("SET #n = #n + :one", "An operand in the update expression has an incorrect data type"),
        ("SET a = absent + :one", "The provided expression refers to an attribute that does "
         "not exist in the item"),
        ("SET nope.deeper = :one", "The document path provided in the update expression is "
         "invalid for update"),
        ("ADD #n :one", "An operand in the update expression has an incorrect data type"),
        ("ADD age :x", "Invalid UpdateExpression: Incorrect operand type for operator or "
         "function; operator: ADD, operand type: STRING"),
        ("DELETE tags :x", "Invalid UpdateExpression: Incorrect operand type for operator or "
         "function; operator: DELETE, operand type: STRING"),
        ("SET a = :one SET b = :one", 'Invalid UpdateExpression: The "SET" section can only be '
         "used once in an update expression;"),
        ("SET a = :one REMOVE a", "Invalid UpdateExpression: Two document paths overlap with "
         "each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
        ("SET a.b = :one, a[0] = :one", "Invalid UpdateExpression: Two document paths conflict "
         "with each other; must remove or rewrite one of these paths; path one: [a, b], path "
         "two: [a, [0]]"),
        ("SET a = :one + :two + :one", 'Invalid UpdateExpression: Syntax error; token: "+", '
         'near: ":two + :one"'),
        ("SET a = list_append(:one, :list)", "Invalid UpdateExpression: Incorrect operand type "
         "for operator or function; operator or function: list_append, operand type: N"),
        ("SET a = size(#n)", "Invalid UpdateExpression: The function is not allowed to be used "
         "this way in an expression; function: size"),
        ("FOO a", 'Invalid UpdateExpression: Syntax error; token: "FOO", near: "FOO a"'),
    ],
)  # fmt: skip
def test_update_errors(expression, message):
    with pytest.raises(AwsError) as caught:
        update(expression, names={"#n": "name"} if "#n" in expression else None)
    assert caught.value.message == message


# -- projections ---------------------------------------------------------------------------


def test_projection_keeps_structure_and_compacts_list_elements():
    paths = parse_projection("lst[2].deep, lst[0], mp.s, age, absent", placeholders())
    assert project(ITEM, paths) == {
        "lst": {"L": [{"S": "a"}, {"M": {"deep": {"S": "x"}}}]},
        "mp": {"M": {"s": {"S": "text"}}},
        "age": {"N": "36"},
    }


def test_projection_paths_may_not_overlap():
    with pytest.raises(AwsError, match="Invalid ProjectionExpression: Two document paths overlap"):
        parse_projection("mp, mp.s", placeholders())
