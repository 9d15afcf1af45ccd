"""Parallel and Map states: branches and iterations as frames of their own.

A branch or an iteration runs in the frame ``<parent>/<state>@<entered event>.<attempt>/
<index>``, so a resumed execution finds the ones that finished (their outputs kept) and
goes on with the rest; a retry (a new attempt) runs them all again. The first branch to
fail fails the Parallel state and stops the others; a Map fails on its first failed
iteration unless ``ToleratedFailureCount`` / ``ToleratedFailurePercentage`` allow more
(``States.ExceedToleratedFailureThreshold`` past them).

A distributed Map (``ProcessorConfig.Mode: DISTRIBUTED``) reads its items with
``ItemReader`` (``s3:getObject`` of JSON or CSV, ``s3:listObjectsV2``, from the local S3
in-process; JSON given in the state input otherwise), groups them with ``ItemBatcher``,
and runs its child workflows as iterations of this execution (AWS runs them as child
executions of a Map Run: the Map Run events are recorded, the child executions are not
listed).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io as text_io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .asl import payload
from .asl.dialect import StateIo
from .asl.errors import ITEM_READER, TOLERATED_FAILURE, StatesError, runtime
from .journal import Frame

if TYPE_CHECKING:
    from .runtime import Runner as Run


def _key(frame: Frame) -> str:
    progress = frame.progress
    return f"{frame.path}/{frame.state}@{progress.get('entered', 0)}.{progress.get('attempt', 0)}"


async def run_parallel(run: Run, frame: Frame, state: dict[str, Any], io: StateIo) -> Any:
    branch_input = io.effective_input()
    language = io.language
    started_id = _started(run, frame, "ParallelStateStarted", {})
    key = _key(frame)
    tasks = [
        asyncio.ensure_future(
            run.run_frame(
                f"{key}/{index}",
                branch,
                branch.get("QueryLanguage", language),
                branch_input,
                frame.variables,
                started_id,
            )
        )
        for index, branch in enumerate(state["Branches"])
    ]
    try:
        outputs = await _all_or_first_failure(tasks)
    except StatesError as exc:
        failed = run.event(frame, "ParallelStateFailed", {})
        run.commit([failed], frame)
        raise exc from None
    succeeded = run.event(frame, "ParallelStateSucceeded")
    run.commit([succeeded], frame)
    return outputs


async def _all_or_first_failure(tasks: Sequence[asyncio.Future[Any]]) -> list[Any]:
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in tasks:
            if task.done() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        return [task.result() for task in tasks]
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        for task in tasks:
            if not task.done():
                with contextlib.suppress(asyncio.CancelledError, StatesError):
                    await task


async def run_map(run: Run, frame: Frame, state: dict[str, Any], io: StateIo) -> Any:
    processor = state.get("ItemProcessor") or state.get("Iterator") or {}
    distributed = (processor.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED"
    batches = _batches(state, io, await _items(run, state, io))
    item_inputs = [_item_input(state, io, index, item) for index, item in enumerate(batches)]
    details = {"mapStateStartedEventDetails": {"length": len(item_inputs)}}
    started_id = _started(run, frame, "MapStateStarted", details)
    if distributed:
        _map_run_started(run, frame)
    concurrency = _int_field(state, io, "MaxConcurrency", 0)
    limit = asyncio.Semaphore(concurrency if concurrency > 0 else max(1, len(item_inputs)))
    tolerated_count = _int_field(state, io, "ToleratedFailureCount", -1)
    tolerated_percent = _number_field(state, io, "ToleratedFailurePercentage", -1.0)
    key = _key(frame)
    failures: list[StatesError] = []
    results: list[Any] = [None] * len(item_inputs)
    sub_language = processor.get("QueryLanguage", io.language)

    async def iteration(index: int, value: Any) -> None:
        async with limit:
            name, previous = frame.state, started_id
            known = run.journal.frame(f"{key}/{index}")
            if not distributed and known is None:
                began = {"mapIterationStartedEventDetails": {"name": name, "index": index}}
                previous = _record(run, frame, "MapIterationStarted", began)
            try:
                results[index] = await run.run_frame(
                    f"{key}/{index}", processor, sub_language, value, frame.variables, previous
                )
            except StatesError as exc:
                failures.append(exc)
                results[index] = {"Error": exc.error, "Cause": exc.cause}
                if not distributed and (known is None or known.status == "running"):
                    _record(
                        run,
                        frame,
                        "MapIterationFailed",
                        {"mapIterationFailedEventDetails": {"name": name, "index": index}},
                    )
                if _exceeded(len(failures), len(item_inputs), tolerated_count, tolerated_percent):
                    raise
                return
            if not distributed and (known is None or known.status == "running"):
                _record(
                    run,
                    frame,
                    "MapIterationSucceeded",
                    {"mapIterationSucceededEventDetails": {"name": name, "index": index}},
                )

    tasks = [asyncio.ensure_future(iteration(i, v)) for i, v in enumerate(item_inputs)]
    try:
        await _all_or_first_failure(tasks)
    except StatesError as exc:
        error = exc
        if tolerated_count >= 0 or tolerated_percent >= 0:
            error = StatesError(
                TOLERATED_FAILURE,
                "The specified tolerated failure threshold was exceeded",
            )
        ending = [run.event(frame, "MapStateFailed")]
        if distributed:
            ending.append(
                run.event(
                    frame,
                    "MapRunFailed",
                    {"mapRunFailedEventDetails": {"error": error.error, "cause": error.cause}},
                )
            )
        run.commit(ending, frame)
        raise error from None
    ending = [run.event(frame, "MapStateSucceeded")]
    if distributed:
        ending.insert(0, run.event(frame, "MapRunSucceeded"))
    run.commit(ending, frame)
    return results


def _record(run: Run, frame: Frame, kind: str, details: dict[str, Any]) -> int:
    event = run.event(frame, kind, details)
    run.commit([event])
    return event.id


def _map_run_started(run: Run, frame: Frame) -> None:
    if "map_run" in frame.progress:
        return
    map_run_arn = (
        f"{run.info.arn.replace(':execution:', ':mapRun:')}/{frame.state}:"
        f"{frame.progress.get('entered', 0)}"
    )
    frame.progress["map_run"] = map_run_arn
    began = {"mapRunStartedEventDetails": {"mapRunArn": map_run_arn}}
    run.commit([run.event(frame, "MapRunStarted", began)], frame)


def _started(run: Run, frame: Frame, kind: str, details: dict[str, Any]) -> int:
    """The state's ``...Started`` event, recorded once per attempt (not again on resume)."""
    mark = f"started.{frame.progress.get('attempt', 0)}"
    if mark not in frame.progress:
        event = run.event(frame, kind, details)
        frame.progress[mark] = event.id
        run.commit([event], frame)
    return int(frame.progress[mark])


def _exceeded(failed: int, total: int, count: int, percent: float) -> bool:
    if count < 0 and percent < 0:
        return True  # nothing tolerated: the first failure fails the Map
    over_count = count >= 0 and failed > count
    over_percent = percent >= 0 and total > 0 and failed * 100.0 / total > percent
    if count >= 0 and percent >= 0:
        return over_count and over_percent
    return over_count or over_percent


async def _items(run: Run, state: dict[str, Any], io: StateIo) -> list[Any]:
    if "ItemReader" in state:
        return await _read_items(run, state, io)
    if io.jsonata:
        items = io.value("Items") if "Items" in state else io.raw_input
    else:
        scope = io.scope(io.selected_input())
        items = payload.select(scope, state.get("ItemsPath", "$"), "ItemsPath")
    if not isinstance(items, list):
        raise runtime(
            "Map state input must be an array, or ItemsPath must point to an array, got "
            f"{payload.compact(items)[:200]}"
        )
    return items


async def _read_items(run: Run, state: dict[str, Any], io: StateIo) -> list[Any]:
    reader = state["ItemReader"]
    config = reader.get("ReaderConfig") or {}
    if io.jsonata:
        arguments = io.value("ItemReader").get("Arguments", {})
    else:
        arguments = payload.template(reader.get("Parameters") or {}, io.scope(io.selected_input()))
    resource = str(reader.get("Resource", ""))
    reader_call = run.services.extra.get("read_object")
    if not resource.startswith("arn:aws:states:::s3:") or reader_call is None:
        raise StatesError(
            ITEM_READER,
            f"serverlite cannot read items with {resource or 'this ItemReader'}: S3 is not "
            "emulated here (give the items in the input, with ItemsPath or Items)",
        )
    action = resource.rsplit(":", 1)[-1]
    if action not in ("getObject", "listObjectsV2"):
        raise StatesError(
            ITEM_READER,
            f"serverlite reads items with s3:getObject and s3:listObjectsV2, not {resource}",
        )
    read = await reader_call(action, arguments if isinstance(arguments, dict) else {})
    if isinstance(read, list):  # a listing: one item per object
        return _limited(read, config)
    body = str(read)
    kind = config.get("InputType", "JSON")
    if kind == "JSON":
        try:
            items = json.loads(body)
        except ValueError as exc:
            raise StatesError(ITEM_READER, f"The object is not JSON: {exc}") from exc
    elif kind == "CSV":
        rows = list(csv.reader(text_io.StringIO(body)))
        if config.get("CSVHeaderLocation") == "GIVEN":
            header = config.get("CSVHeaders") or []
        else:
            header, rows = rows[0], rows[1:]
        items = [dict(zip(header, row, strict=False)) for row in rows]
    else:
        raise StatesError(ITEM_READER, f"serverlite reads JSON and CSV items, not {kind}")
    if not isinstance(items, list):
        raise StatesError(ITEM_READER, "The items the ItemReader read are not a JSON array")
    return _limited(items, config)


def _limited(items: list[Any], config: dict[str, Any]) -> list[Any]:
    limit = config.get("MaxItems")
    return items[: int(limit)] if isinstance(limit, int) and limit > 0 else items


def _batches(state: dict[str, Any], io: StateIo, items: list[Any]) -> list[Any]:
    batcher = state.get("ItemBatcher")
    if not isinstance(batcher, dict):
        return items
    size = int(batcher.get("MaxItemsPerBatch", 0) or 0) or len(items) or 1
    batch_input = batcher.get("BatchInput") or {}
    if not io.jsonata and batch_input:
        batch_input = payload.template(batch_input, io.scope(io.raw_input))
    made = []
    for start in range(0, len(items), size):
        batch: dict[str, Any] = {"Items": items[start : start + size]}
        if batch_input:
            batch["BatchInput"] = batch_input
        made.append(batch)
    return made


def _item_input(state: dict[str, Any], io: StateIo, index: int, item: Any) -> Any:
    selector = state.get("ItemSelector", state.get("Parameters"))
    if selector is None:
        return item
    context = dict(io.context)
    context["Map"] = {"Item": {"Index": index, "Value": item}}
    if io.jsonata:
        from .asl import jsonata_eval

        states = {"input": io.raw_input, "context": context}
        return jsonata_eval.resolve(selector, states, io.variables)
    return payload.template(selector, payload.Scope(io.selected_input(), context, io.variables))


def _int_field(state: dict[str, Any], io: StateIo, field: str, default: int) -> int:
    value = _number_field(state, io, field, float(default))
    return int(value)


def _number_field(state: dict[str, Any], io: StateIo, field: str, default: float) -> float:
    if io.jsonata:
        value = io.value(field) if field in state else None
    elif f"{field}Path" in state:
        value = payload.select(io.scope(io.raw_input), state[f"{field}Path"], f"{field}Path")
    else:
        value = state.get(field)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise runtime(f"The value of {field} must be a positive number, got {value}")
    return float(value)
