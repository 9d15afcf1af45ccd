"""Parallel branches and Map iterations in a real browser: the execution's graph draws
the states inside each branch and the item processor inside their Parallel and Map
boxes, coloured by what the execution (started with boto3, or from the console) did in
each."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import Server, aws_client, wait_for
from tests.integration.console.browser import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _machine(server: Server) -> str:
    sfn = aws_client(server, "stepfunctions")
    return next(
        m["stateMachineArn"]
        for m in sfn.list_state_machines()["stateMachines"]
        if m["name"] == "console-fanout"
    )


def _run(server: Server, name: str, items: list[dict[str, Any]]) -> str:
    sfn = aws_client(server, "stepfunctions")
    machine = _machine(server)
    arn = sfn.start_execution(
        stateMachineArn=machine, name=name, input=json.dumps({"items": items})
    )["executionArn"]
    wait_for(lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING", timeout=30)
    return str(sfn.describe_execution(executionArn=arn)["status"])


def _graph(page: Any) -> dict[str, str]:
    states = page.locator("#state-graph g.state")
    return {
        str(states.nth(i).get_attribute("data-state")): str(
            states.nth(i).get_attribute("data-status")
        )
        for i in range(states.count())
    }


def _box(page: Any, state: str) -> dict[str, float]:
    found: dict[str, float] = page.locator(
        f'#state-graph g[data-state="{state}"] rect'
    ).bounding_box()
    return found


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        outer["x"] < inner["x"]
        and inner["x"] + inner["width"] < outer["x"] + outer["width"]
        and outer["y"] < inner["y"]
        and inner["y"] + inner["height"] < outer["y"] + outer["height"]
    )


def test_branches_and_iterations_drawn_and_coloured(server: Server, page: Any) -> None:
    assert (
        _run(server, "fanout-ok", [{"bad": False}, {"bad": False}, {"bad": False}]) == "SUCCEEDED"
    )
    page.goto("/_console/statemachines")
    page.click("text=fanout-ok")
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED")
    assert _graph(page) == {
        "Split": "succeeded",
        "Left": "succeeded",
        "Right": "succeeded",
        "EachItem": "succeeded",
        "Check": "succeeded",
        "Fine": "succeeded",
        "Broken": "",
        "Done": "succeeded",
    }
    split, left, right = _box(page, "Split"), _box(page, "Left"), _box(page, "Right")
    assert _inside(left, split) and _inside(right, split)
    assert left["y"] == right["y"] and left["x"] + left["width"] < right["x"]  # side by side
    each = _box(page, "EachItem")
    for inner in ("Check", "Fine", "Broken"):
        assert _inside(_box(page, inner), each), inner
    assert split["y"] + split["height"] < each["y"]  # the Map comes after the Parallel
    expect(page.locator('#state-graph g[data-state="Check"] text')).to_have_text("Check \u00d73")
    fill = page.locator('#state-graph g[data-state="Left"] rect').get_attribute("fill")
    assert fill == "#cdebd3"


def test_a_failed_iteration_colours_its_state_and_its_map(server: Server, page: Any) -> None:
    """Started from the console (StartExecution), checked through boto3 and drawn."""
    sfn = aws_client(server, "stepfunctions")
    page.goto("/_console/statemachines")
    page.select_option("select[name=arn]", label="console-fanout")
    page.fill("input[name=name]", "fanout-bad")
    page.fill("textarea[name=input]", json.dumps({"items": [{"bad": True}]}))
    page.get_by_role("button", name="Start execution", exact=True).click()
    expect(page.locator("#start-answer")).to_have_text("started fanout-bad")
    listed = sfn.list_executions(stateMachineArn=_machine(server))["executions"]
    arn = next(e["executionArn"] for e in listed if e["name"] == "fanout-bad")
    wait_for(lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING", timeout=30)
    assert sfn.describe_execution(executionArn=arn)["status"] == "FAILED"
    assert json.loads(sfn.describe_execution(executionArn=arn)["input"]) == {
        "items": [{"bad": True}]
    }
    row = page.locator("tr", has_text="fanout-bad")  # the open list shows it, live
    expect(row.locator(".status")).to_have_text("FAILED")
    page.click("#start-answer a")
    expect(page.locator("#execution-status")).to_have_text("FAILED")
    assert _graph(page) == {
        "Split": "succeeded",
        "Left": "succeeded",
        "Right": "succeeded",
        "EachItem": "failed",
        "Check": "succeeded",
        "Fine": "",
        "Broken": "failed",
        "Done": "",
    }
