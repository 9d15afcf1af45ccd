"""`serverlite cost`'s table: 80 columns, grouped by service and price, names whole."""

from __future__ import annotations

from serverlite.commands.cost import table_lines
from serverlite.cost.estimate import Line, price, prices


def _result() -> dict:
    lines = [
        Line("Lambda", "Quickstart-GreeterFunction", "lambda_requests", 4),
        Line("Lambda", "Quickstart-OrchestratorFunction", "lambda_requests", 1),
        Line("Lambda", "A-Function-Whose-Name-Is-Longer-Than-Its-Column", "lambda_requests", 2),
        Line("Lambda", "Quickstart-GreeterFunction", "lambda_gb_seconds_x86_64", 0.5),
    ]
    return price(lines, 3600, True, prices()).to_json()


def test_the_table_fits_80_columns_and_keeps_every_name_whole() -> None:
    text = list(table_lines(_result(), per_month=True))
    assert max(len(line) for line in text) <= 80
    assert "Lambda · requests" in text
    assert "Lambda · gb_seconds_x86_64" in text
    body = "\n".join(text)
    for name in ("Quickstart-GreeterFunction", "Quickstart-OrchestratorFunction"):
        assert f"  {name} " in body
    # a name longer than its column is on a line of its own, numbers on the next
    long = text.index("  A-Function-Whose-Name-Is-Longer-Than-Its-Column")
    assert text[long + 1].split() == ["2.0000", "0.000000", "0.0000"]


def test_no_amount_prints_as_negative_zero() -> None:
    assert "-0.0" not in "\n".join(table_lines(_result(), per_month=True))
