"""Parallel branches and Map iterations in a real browser: the execution's graph draws
the states inside each branch and the item processor inside their Parallel and Map
boxes, coloured by what the execution (started with boto3) did in each."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import Server, aws_client, wait_for
from tests.integration.console.browser import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _run(server: Server, name: str, items: list[dict[str, Any]]) -> str:
    sfn = aws_client(server, "stepfunctions")
    machine = next(
        m["stateMachineArn"]
        for m in sfn.list_state_machines()["stateMachines"]
        if m["name"] == "console-fanout"
    )
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
    assert _run(server, "fanout-bad", [{"bad": True}]) == "FAILED"
    page.goto("/_console/statemachines")
    page.click("text=fanout-bad")
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
