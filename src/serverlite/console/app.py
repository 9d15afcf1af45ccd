"""The console's routes under ``/_console``: pages, live fragments, actions.

Every request passes ``Guard.refusal`` (Host, Origin, Sec-Fetch-Site); every POST also
``Guard.action_refusal`` (the token in cookie and header). ``mount`` puts the console
in front of the AWS endpoint: one prefix comparison per endpoint request, nothing on
the gateways' path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from serverlite.aws.backend import AwsError
from serverlite.console import (
    PREFIX,
    cost,
    data,
    events,
    functions,
    live,
    machines,
    messaging,
    metrics,
    overview,
    table_query,
    traces,
)
from serverlite.console.context import ConsoleContext
from serverlite.console.guard import Guard
from serverlite.console.guard import form as read_form
from serverlite.console.html import esc, page
from serverlite.console.saved_events import SavedEvents
from serverlite.template.model import FunctionSpec

STATIC = Path(__file__).parent / "static"
STATIC_FILES = {
    "htmx.min.js": "text/javascript",
    "htmx-ext-sse.min.js": "text/javascript",
    "console.js": "text/javascript",
}
Handler = Callable[[Request], Awaitable[Response]]


def build(ctx: ConsoleContext, guard: Guard) -> Starlette:  # noqa: PLR0915 (the route table)
    saved = SavedEvents(ctx.state_dir) if ctx.state_dir is not None else None

    def guarded(handler: Handler, action: bool = False) -> Handler:
        async def run(request: Request) -> Response:
            refusal = guard.refusal(request)
            if refusal is None and action:
                refusal = await guard.action_refusal(request)
            if refusal is not None:
                return refusal
            return guard.finish(await handler(request))

        return run

    def full(title: str, active: str, body: str) -> HTMLResponse:
        return HTMLResponse(page(title, active, body, guard.token))

    def fn_or_404(request: Request) -> FunctionSpec | None:
        return ctx.app.find_function(request.path_params["name"])

    def streaming(blocks: list[live.Block], request: Request) -> Response:
        """A page's live blocks over server-sent events, for as long as it is open."""
        stream = live.stream(blocks, request.is_disconnected)
        return StreamingResponse(stream, media_type="text/event-stream")

    async def home(request: Request) -> Response:
        return full("Overview", "", await overview.overview(ctx))

    async def live_count(request: Request) -> Response:
        # Pages with a live stream open now: 0 means the console is doing nothing.
        return PlainTextResponse(f"open live streams: {live.open_streams}\n")

    async def home_live(request: Request) -> Response:
        return streaming(overview.blocks(ctx), request)

    async def function_list(request: Request) -> Response:
        return full("Functions", "functions", functions.page_body(ctx))

    async def function_list_live(request: Request) -> Response:
        return streaming(functions.list_blocks(ctx), request)

    async def function_page(request: Request) -> Response:
        fn = fn_or_404(request)
        if fn is None:
            return _missing("function")
        return full(f"Function {fn.name}", "functions", functions.detail(ctx, fn, saved))

    async def invocations(request: Request) -> Response:
        fn = fn_or_404(request)
        return HTMLResponse(functions.invocations(ctx, fn) if fn else "")

    async def function_live(request: Request) -> Response:
        fn = fn_or_404(request)
        if fn is None:
            return _missing("function")
        return streaming(functions.blocks(ctx, fn), request)

    async def logs(request: Request) -> Response:
        fn = fn_or_404(request)
        if fn is None:
            return _missing("function")
        stream = functions.log_stream(
            ctx, fn, request.query_params.get("filter", ""), request.is_disconnected
        )
        return StreamingResponse(stream, media_type="text/event-stream")

    async def invoke(request: Request) -> Response:
        fn = fn_or_404(request)
        if fn is None:
            return _missing("function")
        form = await read_form(request)
        return HTMLResponse(await functions.invoke(ctx, fn, form.get("event", "{}")))

    async def saved_event(request: Request) -> Response:
        fn = fn_or_404(request)
        if fn is None:
            return _missing("function")
        name = request.query_params.get("saved", "")
        return HTMLResponse(functions.saved_event(fn, saved, name))

    async def save_event(request: Request) -> Response:
        fn = fn_or_404(request)
        if fn is None:
            return _missing("function")
        form = await read_form(request)
        return HTMLResponse(
            functions.save_event(fn, saved, form.get("save_name", ""), form.get("event", ""))
        )

    async def delete_event(request: Request) -> Response:
        fn = fn_or_404(request)
        if fn is None:
            return _missing("function")
        form = await read_form(request)
        return HTMLResponse(functions.delete_event(fn, saved, form.get("saved", "")))

    async def sample(request: Request) -> Response:
        return HTMLResponse(functions.sample(request.query_params.get("sample", "")))

    async def trace_list(request: Request) -> Response:
        return full("Traces", "traces", traces.page_body(ctx))

    async def trace_live(request: Request) -> Response:
        return streaming(traces.blocks(ctx), request)

    async def trace_page(request: Request) -> Response:
        trace_id = request.path_params["trace_id"]
        return full(f"Trace {trace_id}", "traces", traces.trace(ctx, trace_id))

    async def metric_page(request: Request) -> Response:
        namespace = request.query_params.get("namespace", "")
        return full("Metrics and alarms", "metrics", await metrics.page_body(ctx, namespace))

    async def metric_live(request: Request) -> Response:
        return streaming(metrics.blocks(ctx, request.query_params.get("namespace", "")), request)

    async def queue_page(request: Request) -> Response:
        return full("Queues and topics", "queues", await messaging.page_body(ctx))

    async def queue_live(request: Request) -> Response:
        return streaming(messaging.blocks(ctx), request)

    async def peek(request: Request) -> Response:
        return HTMLResponse(await messaging.peek(ctx, request.query_params.get("url", "")))

    async def send(request: Request) -> Response:
        form = await read_form(request)
        return HTMLResponse(await messaging.send(ctx, form.get("url", ""), form.get("body", "")))

    async def redrive(request: Request) -> Response:
        form = await read_form(request)
        return HTMLResponse(await messaging.redrive(ctx, form.get("url", "")))

    async def publish(request: Request) -> Response:
        form = await read_form(request)
        return HTMLResponse(
            await messaging.publish(ctx, form.get("arn", ""), form.get("message", ""))
        )

    async def table_list(request: Request) -> Response:
        body = f"<h2>Tables</h2>{await data.tables(ctx)}<h2>Buckets</h2>{data.buckets(ctx)}"
        return full("Tables and buckets", "tables", body)

    async def table_page(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            desc = await table_query.describe(ctx, name)
        except AwsError as exc:
            return HTMLResponse(f"<p>{esc(exc.message)}</p>", status_code=404)
        return full(f"Table {name}", "tables", table_query.page_body(name, desc))

    async def table_form(request: Request) -> Response:
        name = request.path_params["name"]
        schemas = table_query.key_schemas(await table_query.describe(ctx, name))
        index = request.query_params.get("index", "")
        keys = next((k for k in schemas if k.index == index), schemas[0])
        return HTMLResponse(table_query.form_fields(name, schemas, keys))

    async def table_query_run(request: Request) -> Response:
        form = await read_form(request)
        return HTMLResponse(await table_query.run(ctx, request.path_params["name"], form))

    async def bucket_page(request: Request) -> Response:
        name = request.path_params["name"]
        prefix = request.query_params.get("prefix", "")
        return full(f"Bucket {name}", "tables", data.bucket_page(ctx, name, prefix))

    async def bucket_object(request: Request) -> Response:
        found = data.object_file(
            ctx, request.path_params["name"], request.query_params.get("key", "")
        )
        if found is None:
            return _missing("object")
        path, content_type = found
        key = request.query_params["key"].rsplit("/", 1)[-1]
        # A download, never rendered: an object's HTML must not run as the console's page.
        return FileResponse(
            path, media_type=content_type, filename=key, content_disposition_type="attachment"
        )

    async def events_page(request: Request) -> Response:
        return full("Events", "events", await events.events_page(ctx))

    async def pattern_test(request: Request) -> Response:
        form = await read_form(request)
        return HTMLResponse(
            await events.test_pattern(ctx, form.get("pattern", ""), form.get("event", ""))
        )

    async def replay(request: Request) -> Response:
        form = await read_form(request)
        try:
            minutes = float(form.get("minutes", "60"))
        except ValueError:
            minutes = 60.0
        return HTMLResponse(await events.replay(ctx, form.get("archive", ""), minutes))

    async def machine_list(request: Request) -> Response:
        return full("State machines", "statemachines", await machines.machines_page(ctx))

    async def machine_live(request: Request) -> Response:
        return streaming(machines.blocks(ctx), request)

    async def execution(request: Request) -> Response:
        arn = request.query_params.get("arn", "")
        return full("Execution", "statemachines", await machines.execution_page(ctx, arn))

    async def start_execution(request: Request) -> Response:
        form = await read_form(request)
        return HTMLResponse(
            await machines.start(
                ctx, form.get("arn", ""), form.get("name", ""), form.get("input", "")
            )
        )

    async def execution_live(request: Request) -> Response:
        arn = request.query_params.get("arn", "")
        return streaming(machines.execution_blocks(ctx, arn), request)

    async def cost_page(request: Request) -> Response:
        return full("Cost", "cost", cost.cost_page(ctx))

    async def static(request: Request) -> Response:
        name = request.path_params["file"]
        if name not in STATIC_FILES:
            return _missing("file")
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name])

    async def slash(request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    get = [
        ("", slash),
        ("/", home),
        ("/functions", function_list),
        ("/functions/{name}", function_page),
        ("/functions/{name}/invocations", invocations),
        ("/functions/{name}/logs", logs),
        ("/functions/{name}/events", saved_event),
        ("/sample", sample),
        ("/traces", trace_list),
        ("/traces/{trace_id}", trace_page),
        ("/metrics", metric_page),
        ("/queues", queue_page),
        ("/queues/peek", peek),
        ("/tables", table_list),
        ("/tables/{name}", table_page),
        ("/tables/{name}/form", table_form),
        ("/buckets/{name}", bucket_page),
        ("/buckets/{name}/object", bucket_object),
        ("/events", events_page),
        ("/statemachines", machine_list),
        ("/statemachines/execution", execution),
        ("/cost", cost_page),
        ("/static/{file}", static),
        # live blocks over server-sent events, one stream per open page
        ("/live", live_count),
        ("/live/overview", home_live),
        ("/live/functions", function_list_live),
        ("/live/functions/{name}", function_live),
        ("/live/traces", trace_live),
        ("/live/metrics", metric_live),
        ("/live/queues", queue_live),
        ("/live/statemachines", machine_live),
        ("/live/statemachines/execution", execution_live),
    ]
    post = [
        ("/functions/{name}/invoke", invoke),
        ("/functions/{name}/events/save", save_event),
        ("/functions/{name}/events/delete", delete_event),
        ("/queues/send", send),
        ("/queues/redrive", redrive),
        ("/topics/publish", publish),
        ("/tables/{name}/query", table_query_run),
        ("/events/test", pattern_test),
        ("/events/replay", replay),
        ("/statemachines/start", start_execution),
    ]
    routes = [Route(PREFIX + p, guarded(h), methods=["GET"]) for p, h in get]
    routes += [Route(PREFIX + p, guarded(h, action=True), methods=["POST"]) for p, h in post]
    return Starlette(routes=routes)


def _missing(what: str) -> Response:
    return HTMLResponse(f"<p>no such {esc(what)}</p>", status_code=404)


class Mount:
    """The endpoint with the console in front: requests under ``/_console`` go to the
    console, every other to the endpoint untouched."""

    def __init__(self, endpoint: ASGIApp, console: ASGIApp) -> None:
        self.endpoint = endpoint
        self.console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            path = scope["path"]
            if path == PREFIX or path[len(PREFIX)] == "/":
                await self.console(scope, receive, send)
                return
        await self.endpoint(scope, receive, send)
