"""A state machine's graph: nested Parallel branches and Map processors placed inside
their states, and what each state did from an execution's history."""

from __future__ import annotations

import re

from serverlite.console import state_graph

DEFINITION = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Task", "Next": "P", "Catch": [{"Next": "Z"}]},
        "P": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "L", "States": {"L": {"Type": "Pass", "End": True}}},
                {
                    "StartAt": "M",
                    "States": {
                        "M": {
                            "Type": "Map",
                            "Iterator": {  # the older name of ItemProcessor
                                "StartAt": "I",
                                "States": {"I": {"Type": "Pass", "End": True}},
                            },
                            "End": True,
                        }
                    },
                },
            ],
            "Next": "Z",
        },
        "Z": {"Type": "Succeed"},
    },
}


def _places(drawn: str) -> dict[str, tuple[float, float, float, float]]:
    found = re.findall(
        r'data-state="([^"]+)"[^>]*><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" '
        r'height="([\d.]+)"',
        drawn,
    )
    return {n: (float(x), float(y), float(w), float(h)) for n, x, y, w, h in found}


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    ix, iy, iw, ih = inner
    ox, oy, ow, oh = outer
    return ox < ix and ix + iw < ox + ow and oy < iy and iy + ih < oy + oh


def test_branches_and_processors_are_drawn_inside_their_states() -> None:
    graph = state_graph.layout(DEFINITION)
    assert [n.name for n in graph.nodes] == ["A", "P", "Z"]
    assert sorted(graph.edges) == [("A", "P"), ("A", "Z"), ("P", "Z")]
    places = _places(state_graph.draw(graph, {}, {}))
    assert set(places) == {"A", "P", "L", "M", "I", "Z"}
    assert _inside(places["L"], places["P"]) and _inside(places["M"], places["P"])
    assert _inside(places["I"], places["M"])  # two levels down
    assert places["L"][0] + places["L"][2] < places["M"][0]  # branches side by side
    assert places["A"][1] < places["P"][1] < places["Z"][1]


def _event(i: int, kind: str, previous: int = 0, **details: object) -> dict[str, object]:
    return {"id": i, "type": kind, "previousEventId": previous, **details}


def _entered(i: int, kind: str, name: str, previous: int = 0) -> dict[str, object]:
    return _event(i, f"{kind}StateEntered", previous, stateEnteredEventDetails={"name": name})


def _exited(i: int, kind: str, name: str, previous: int = 0) -> dict[str, object]:
    return _event(i, f"{kind}StateExited", previous, stateExitedEventDetails={"name": name})


def test_a_failure_belongs_to_the_state_its_thread_entered() -> None:
    # Two branches interleaved: the task in branch 2 fails after branch 1's L was
    # entered, so "the last state entered" would blame L.
    history = [
        _entered(1, "Parallel", "P"),
        _event(2, "ParallelStateStarted", 1),
        _entered(3, "Task", "T", 2),
        _event(4, "TaskScheduled", 3),
        _entered(5, "Pass", "L", 2),
        _event(6, "TaskFailed", 4),
        _event(7, "ParallelStateFailed", 2),
        _event(8, "ExecutionFailed", 7),
    ]
    assert state_graph.status(history, "FAILED") == {"P": "failed", "T": "failed", "L": "stopped"}
    assert state_graph.status(history[:5], "RUNNING") == {
        "P": "running",
        "T": "running",
        "L": "running",
    }


def test_map_states_count_entries_and_a_retried_failure_is_caught() -> None:
    history = [
        _entered(1, "Map", "M"),
        _entered(2, "Task", "I", 1),
        _event(3, "TaskFailed", 2),  # retried, then succeeded
        _exited(4, "Task", "I", 3),
        _entered(5, "Task", "I", 1),
        _exited(6, "Task", "I", 5),
        _exited(7, "Map", "M", 1),
    ]
    assert state_graph.status(history, "SUCCEEDED") == {"M": "succeeded", "I": "caught"}
    assert state_graph.entered_counts(history) == {"M": 1, "I": 2}
    drawn = state_graph.draw(state_graph.layout(DEFINITION), {}, {"I": 2})
    assert "I \u00d72" in drawn


def test_a_fail_state_is_failed() -> None:
    history = [_entered(1, "Fail", "F"), _event(2, "ExecutionFailed", 1)]
    assert state_graph.status(history, "FAILED") == {"F": "failed"}


def test_a_transition_past_other_states_curves_around_them() -> None:
    graph = state_graph.layout(
        {
            "StartAt": "C",
            "States": {
                "C": {"Type": "Choice", "Choices": [{"Next": "B"}], "Default": "F"},
                "F": {"Type": "Pass", "End": True},
                "B": {"Type": "Fail"},
            },
        }
    )
    drawn = state_graph.draw(graph, {}, {})
    assert drawn.count("<line ") == 1  # C to F, the next state down
    assert drawn.count("<path d=") == 2  # C to B, around F (and the arrow head's path)
