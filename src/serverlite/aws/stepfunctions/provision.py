"""The template's state machines (provisioned in a later step)."""

from __future__ import annotations

from serverlite.aws import backend
from serverlite.template.model import Application

from .context import SfnContext


def apply(ctx: SfnContext, app: Application) -> list[backend.ProvisionedResource]:
    return []
