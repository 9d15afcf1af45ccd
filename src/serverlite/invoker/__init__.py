"""The one seam every caller invokes functions through (gateway, event sources, CLI, API)."""

from serverlite.invoker.invoker import Invoker
from serverlite.invoker.types import InvokeRequest, InvokeResult

__all__ = ["InvokeRequest", "InvokeResult", "Invoker"]
