from __future__ import annotations

from pathlib import Path

import pytest

from serverlite.errors import TemplateError
from serverlite.template.yaml_loader import LineDict, line_of, load_template, parse_template

FIXTURES = Path(__file__).parent / "fixtures"


def parse(text: str) -> dict[str, object]:
    return parse_template(text, "template.yaml")


def test_short_form_tags_become_long_form() -> None:
    data = parse(
        """
A: !Ref Param
B: !GetAtt Table.Arn
C: !GetAtt [Table, StreamArn]
D: !GetAtt App.Outputs.Url
E: !Sub "${AWS::Region}-x"
F: !Sub ["${X}", {X: !Ref Y}]
G: !Join [",", [a, !Ref B]]
H: !If [Cond, yes-value, !Ref AWS::NoValue]
I: !Select [0, !Split [",", "a,b"]]
J: !FindInMap [Map, Top, Second]
K: !GetAZs ""
L: !ImportValue shared-queue
M: !Base64 text
N: !Cidr ["10.0.0.0/16", 2, 8]
O: !Equals [!Ref Stage, prod]
P: !And [!Condition A, !Not [!Condition B]]
Q: !Or [!Condition A, !Condition B]
R: !Transform {Name: AWS::Include, Parameters: {Location: s3://x}}
"""
    )
    assert data["A"] == {"Ref": "Param"}
    assert data["B"] == {"Fn::GetAtt": ["Table", "Arn"]}
    assert data["C"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert data["D"] == {"Fn::GetAtt": ["App", "Outputs.Url"]}
    assert data["E"] == {"Fn::Sub": "${AWS::Region}-x"}
    assert data["F"] == {"Fn::Sub": ["${X}", {"X": {"Ref": "Y"}}]}
    assert data["G"] == {"Fn::Join": [",", ["a", {"Ref": "B"}]]}
    assert data["H"] == {"Fn::If": ["Cond", "yes-value", {"Ref": "AWS::NoValue"}]}
    assert data["I"] == {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}
    assert data["J"] == {"Fn::FindInMap": ["Map", "Top", "Second"]}
    assert data["K"] == {"Fn::GetAZs": ""}
    assert data["L"] == {"Fn::ImportValue": "shared-queue"}
    assert data["M"] == {"Fn::Base64": "text"}
    assert data["N"] == {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}
    assert data["O"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    assert data["P"] == {"Fn::And": [{"Condition": "A"}, {"Fn::Not": [{"Condition": "B"}]}]}
    assert data["Q"] == {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}
    assert data["R"] == {
        "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://x"}}
    }


def test_dates_stay_strings() -> None:
    assert parse("AWSTemplateFormatVersion: 2010-09-09\n")["AWSTemplateFormatVersion"] == (
        "2010-09-09"
    )


def test_yaml_error_names_file_and_line() -> None:
    with pytest.raises(TemplateError) as info:
        parse("Resources:\n  Fn:\n    Type: [unclosed\n")
    assert info.value.file == "template.yaml"
    assert info.value.path.startswith("line ")
    assert str(info.value).startswith("template.yaml: line ")


def test_duplicate_keys_are_errors() -> None:
    with pytest.raises(TemplateError) as info:
        parse("Resources:\n  Fn: {}\n  Fn: {}\n")
    assert info.value.path == "line 3"
    assert "duplicate key 'Fn'" in info.value.message


def test_unknown_tag_is_an_error() -> None:
    with pytest.raises(TemplateError) as info:
        parse("A: !Bogus x\n")
    assert info.value.path == "line 1"


def test_empty_and_non_mapping_templates() -> None:
    with pytest.raises(TemplateError, match="empty"):
        parse("")
    with pytest.raises(TemplateError, match="mapping"):
        parse("- a\n- b\n")


def test_json_template() -> None:
    data = load_template(FIXTURES / "json_app" / "template.json")
    fn = data["Resources"]["Fn"]
    assert fn["Properties"]["Environment"]["Variables"]["ARN"] == {"Fn::GetAtt": ["Queue", "Arn"]}


def test_json_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{\n  "Resources": {\n    "A": \n  }\n}\n')
    with pytest.raises(TemplateError) as info:
        load_template(path, "t.json")
    assert info.value.path == "line 4"
    assert info.value.message.startswith("invalid JSON")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="template file not found"):
        load_template(tmp_path / "nope.yaml")


def test_line_numbers_of_paths() -> None:
    data = parse(
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Timeout: 0\n"
        "      Layers:\n"
        "        - !Ref A\n"
        "      Events:\n"
        "        - Name: x\n"
    )
    assert isinstance(data, LineDict)
    assert line_of(data, "Resources.Fn.Properties.Timeout") == 5
    assert line_of(data, "Resources.Fn.Properties.Layers") == 6
    assert line_of(data, "Resources.Fn.Properties.Events[0].Name") == 9
    # An unknown tail stops at the deepest known key.
    assert line_of(data, "Resources.Fn.Properties.MemorySize") == 4
    assert line_of({}, "Resources") is None
