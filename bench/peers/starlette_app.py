"""The same trivial handlers, served by plain Starlette on uvicorn (the speed reference):
/hello for the gateway suite, /pid (1 ms of blocking work, then the process id, as
bench/app_burst's handler) for the burst suite."""

import os
import time

from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


async def hello(request):
    return JSONResponse({"message": "hello", "path": request.url.path})


def pid(request):  # a plain def: Starlette runs it in its thread pool, as blocking code
    time.sleep(0.001)
    return PlainTextResponse(str(os.getpid()))


app = Starlette(routes=[Route("/hello", hello), Route("/pid", pid)])
