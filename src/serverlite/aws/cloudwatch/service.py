"""The CloudWatch backend: one operations table behind its JSON face, which the
smithy-rpc-v2-cbor dispatcher serves too (``cbor_model``); alarms from the template
and the API, evaluated every minute of serverlite's clock (``alarms.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING, Any

from serverlite.aws.arn_sender import ArnSender, arn_service
from serverlite.aws.backend import (
    AwsError,
    Backend,
    JsonService,
    Operations,
    ProvisionedResource,
    ServiceContext,
)
from serverlite.aws.cloudwatch import alarms, ops_alarms
from serverlite.aws.cloudwatch.context import CloudWatchContext
from serverlite.aws.cloudwatch.ops import OPERATIONS
from serverlite.iam.request import IamRequest
from serverlite.sending import Message
from serverlite.template.model import Application

if TYPE_CHECKING:
    from serverlite.invoker import Invoker

log = logging.getLogger("serverlite.aws")

TARGET_PREFIX = "GraniteServiceVersion20100801"
ALARM = "AWS::CloudWatch::Alarm"
COMPOSITE = "AWS::CloudWatch::CompositeAlarm"
_INTEGERS = ("EvaluationPeriods", "DatapointsToAlarm", "Period")


class CloudWatchBackend(Backend):
    name = "cloudwatch"
    title = "CloudWatch"

    def __init__(self, context: ServiceContext) -> None:
        self.ctx = CloudWatchContext(context)
        self.ctx.alarms = alarms.AlarmStore(context.state_dir / "alarms.db")
        self._task: asyncio.Task[None] | None = None
        self._sender: ArnSender | None = None
        self._next_due = 0.0
        self._json = JsonService(
            TARGET_PREFIX,
            "1.0",
            Operations(
                "CloudWatch",
                self.ctx,
                {**OPERATIONS, **ops_alarms.OPERATIONS},
                malformed="SerializationException",
                internal="InternalServiceError",
                # IAM names the service "cloudwatch" (its SigV4 name is "monitoring");
                # metric and dashboard actions act on no resource.
                iam=lambda operation, request: (IamRequest(f"cloudwatch:{operation}"),),
            ),
            error_namespace="com.amazonaws.cloudwatch#",
            cbor_model="cloudwatch",
        )

    @property
    def json(self) -> JsonService:
        return self._json

    # -- the template's alarms -------------------------------------------------------------
    def provision(self, app: Application) -> list[ProvisionedResource]:
        rows = []
        for res in app.resources:
            if res.type not in (ALARM, COMPOSITE):
                continue
            params: dict[str, Any] = {
                k: v for k, v in dict(res.properties).items() if v is not None
            }
            params.setdefault("AlarmName", res.physical_id)
            for key in _INTEGERS:
                if key in params:
                    params[key] = int(params[key])
            if "Threshold" in params:
                params["Threshold"] = float(params["Threshold"])
            if isinstance(params.get("ActionsEnabled"), str):
                params["ActionsEnabled"] = params["ActionsEnabled"].lower() == "true"
            try:
                if res.type == ALARM:
                    ops_alarms.put_metric_alarm(self.ctx, params)
                else:
                    ops_alarms.put_composite_alarm(self.ctx, params)
            except AwsError as exc:
                log.warning("CloudWatch alarm %s not created: %s", res.logical_id, exc.message)
                rows.append(
                    ProvisionedResource("cloudwatch", "alarm", params["AlarmName"], exc.message)
                )
                continue
            rows.append(ProvisionedResource("cloudwatch", "alarm", params["AlarmName"]))
        return rows

    # -- evaluation, every minute of the clock -------------------------------------------------
    def evaluate(self) -> None:
        store = self.ctx.alarms
        if store is None:
            return
        now = self.ctx.now()
        scale = self.ctx.context.time_scale
        if scale > 1:
            # Minutes pass `scale` times faster: evaluate that often, the minute in
            # progress included (the clock itself is not scaled, so waiting for it to
            # end would take a real minute).
            self._next_due = now + 60.0 / scale
        else:
            self._next_due = now - now % 60 + 60
        self.ctx.notify(alarms.tick(store, self.ctx.metrics_or_none, now, current=scale > 1))

    def clock_moved(self) -> None:
        if self.ctx.now() >= self._next_due:
            self.evaluate()

    async def _evaluate_forever(self) -> None:
        while True:
            if self.ctx.now() >= self._next_due:
                try:
                    await asyncio.to_thread(self.evaluate)
                except Exception:
                    log.exception("CloudWatch alarm evaluation failed")
            await asyncio.sleep(min(1.0, 60.0 / max(self.ctx.context.time_scale, 1.0)))

    def _on_change(self, changes: list[alarms.Change]) -> None:
        loop = self._loop
        for change in changes:
            # Evaluation runs on a worker thread; the actions run on the event loop.
            asyncio.run_coroutine_threadsafe(self._act(change), loop)

    async def _act(self, change: alarms.Change) -> None:
        """Run the new state's actions and put the aws.cloudwatch event on the bus."""
        sender = self._sender
        if sender is None:
            return
        context = self.ctx.context
        account, region = context.account_id, context.region
        alarm = change.alarm
        for arn in alarms.actions_for(alarm):
            service = arn_service(arn)
            if service == "sns":
                body = alarms.sns_message(change, account, region)
                subject = alarms.sns_subject(alarm, region)
                try:
                    await context.aws.call(
                        "sns", "Publish", {"TopicArn": arn, "Message": body, "Subject": subject}
                    )
                except AwsError as exc:
                    log.warning("alarm %s: SNS action %s failed: %s", alarm["AlarmName"], arn, exc)
            elif service == "lambda":
                payload = json.dumps(alarms.lambda_event(change, account, region))
                outcome = await sender.send(arn, Message(body=payload))
                if outcome.status != "delivered":
                    log.warning(
                        "alarm %s: Lambda action %s: %s", alarm["AlarmName"], arn, outcome.message
                    )
            else:
                log.warning(
                    "alarm %s: action %s is not emulated (SNS and Lambda actions are)",
                    alarm["AlarmName"],
                    arn,
                )
        if context.aws.has("events"):
            entry = {
                "Source": "aws.cloudwatch",
                "DetailType": "CloudWatch Alarm State Change",
                "Detail": json.dumps(alarms.alarm_data(change)),
                "Resources": [alarm["AlarmArn"]],
            }
            try:
                await context.aws.call("events", "PutServiceEvents", {"Entries": [entry]})
            except AwsError as exc:
                log.warning("alarm state change event not delivered: %s", exc.message)

    async def start_event_sources(self, invoker: Invoker) -> None:
        context = self.ctx.context
        self._loop = asyncio.get_running_loop()
        self._sender = ArnSender(context.aws, invoker.invoke, context.endpoint_url)
        self.ctx.on_change = self._on_change
        self._task = self._loop.create_task(self._evaluate_forever())

    async def stop_event_sources(self) -> None:
        task, self._task = self._task, None
        self.ctx.on_change = None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def template_provisioned(self) -> None:
        if self.ctx.alarms is not None:
            self.ctx.alarms.snapshot()

    def reset(self) -> None:
        """The template's alarms in their first state, their history and a test's own
        alarms gone (the metrics themselves are the observer's, reset with it)."""
        if self.ctx.alarms is not None:
            self.ctx.alarms.restore()

    def close(self) -> None:
        if self.ctx.alarms is not None:
            self.ctx.alarms.close()
