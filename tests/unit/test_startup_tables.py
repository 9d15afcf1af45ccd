"""What `serverlite up` prints fits an 80-column terminal without cutting a name short."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from serverlite.gateway.frontend import serve_locally
from serverlite.server import apis_table, startup_table
from serverlite.summary import Item, rich_table
from serverlite.template import load_application

# Two names that differ only past the first 20 characters: cut to fit, both read
# "PhonebookContactsGe…" and cannot be told apart.
NAMES = ("PhonebookContactsGetAllOfThem", "PhonebookContactsGetOneById")
TEMPLATE = "Transform: AWS::Serverless-2016-10-31\nResources:\n" + "".join(
    f"""  {name}:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: handlers.{name.lower()}_with_a_long_handler_name
      Events:
        Get:
          Type: HttpApi
          Properties: {{Path: /phonebook/contacts/{name.lower()}, Method: get}}
"""
    for name in NAMES
)


def render(table: Item) -> str:
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(rich_table(table))
    return console.export_text()


def unfold(text: str) -> str:
    """The table's text with its cells' folded lines run together (column by column is
    more than a test needs: every value here sits in the first column or runs on)."""
    return "".join(line.split("│")[0].strip() for line in text.splitlines())


def test_tables_fit_80_columns_and_keep_every_name_whole(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    (tmp_path / "src").mkdir()
    app, endpoints = serve_locally(load_application(path), "127.0.0.1", 3000)
    functions = render(startup_table(app))
    apis = render(apis_table(tuple(endpoints)))
    for text in (functions, apis):
        assert "…" not in text
        assert max(len(line) for line in text.splitlines()) <= 80
    for name in NAMES:
        assert name in unfold(functions)
        assert name[-8:] in apis  # the function column keeps the part that differs


def test_routes_without_a_function_say_what_answers_them() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "openapi-rest" / "template.yaml"
    _, endpoints = serve_locally(
        load_application(example, parameter_overrides={"Greeting": "hi"}), "127.0.0.1", 3000
    )
    apis = render(apis_table(tuple(endpoints)))
    assert "(mock)" in apis
    assert "(http_proxy" in apis
