"""The same trivial handler, served by plain Starlette on uvicorn (the speed reference)."""

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request):
    return JSONResponse({"message": "hello", "path": request.url.path})


app = Starlette(routes=[Route("/hello", hello)])
