"""Queues and topics: depths, peeking, sending, redriving a DLQ, publishing."""

from __future__ import annotations

import json

from serverlite.aws.backend import AwsError
from serverlite.console import live
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, href, pre, table


def _post_form(path: str, fields: str, button: str, target: str) -> str:
    return (
        f'<form hx-post="{esc(href(path))}" hx-target="#{target}">{fields}'
        f'<button type="submit">{esc(button)}</button></form><div id="{target}"></div>'
    )


async def queues(ctx: ConsoleContext) -> str:
    if not ctx.has("sqs"):
        return '<p class="muted">SQS is not running</p>'
    urls = (await ctx.call("sqs", "ListQueues", {})).get("QueueUrls", [])
    rows = []
    for url in urls:
        attrs = (
            await ctx.call(
                "sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]}
            )
        ).get("Attributes", {})
        redrive = attrs.get("RedrivePolicy")
        dlq = json.loads(redrive).get("deadLetterTargetArn", "") if redrive else ""
        name = url.rsplit("/", 1)[-1]
        rows.append(
            (
                f'<span class="queue" data-queue="{esc(name)}">{esc(name)}</span>',
                f'<span class="depth">{esc(attrs.get("ApproximateNumberOfMessages", "0"))}</span>',
                esc(attrs.get("ApproximateNumberOfMessagesNotVisible", "0")),
                esc(attrs.get("ApproximateNumberOfMessagesDelayed", "0")),
                esc(dlq.rsplit(":", 1)[-1]),
                f'<button hx-get="{esc(href("queues/peek"))}?url={esc(url)}" '
                f'hx-target="#peek">Peek</button>',
            )
        )
    return table(("Queue", "Visible", "In flight", "Delayed", "DLQ", ""), rows, "no queues")


async def page_body(ctx: ConsoleContext) -> str:
    return (
        live.region("live/queues", "<h2>Queues</h2>" + live.block("queues", await queues(ctx)))
        + "<div id=peek></div>"
        + queue_forms(await queue_urls(ctx))
        + f"<h2>Topics</h2>{await topics(ctx)}"
    )


def blocks(ctx: ConsoleContext) -> list[live.Block]:
    """The page's live block: each queue's depths."""
    return [live.Block("queues", lambda: queues(ctx), 1.0)]


def queue_forms(urls: list[str]) -> str:
    options = "".join(
        f'<option value="{esc(u)}">{esc(u.rsplit("/", 1)[-1])}</option>' for u in urls
    )
    send = _post_form(
        "queues/send",
        f'<label>Queue <select name="url">{options}</select></label> '
        '<label>Body <input name="body" size="50"></label> ',
        "Send message",
        "send-result",
    )
    redrive = _post_form(
        "queues/redrive",
        f'<label>Dead-letter queue <select name="url">{options}</select></label> ',
        "Redrive to source queue",
        "redrive-result",
    )
    return f"<h2>Send a message</h2>{send}<h2>DLQ redrive</h2>{redrive}"


async def queue_urls(ctx: ConsoleContext) -> list[str]:
    if not ctx.has("sqs"):
        return []
    found: list[str] = (await ctx.call("sqs", "ListQueues", {})).get("QueueUrls", [])
    return found


async def peek(ctx: ConsoleContext, url: str) -> str:
    """Up to 10 messages received with a visibility timeout of 0, so they stay visible (as
    the AWS console's "poll for messages"; their receive count goes up, as there)."""
    answer = await ctx.call(
        "sqs",
        "ReceiveMessage",
        {
            "QueueUrl": url,
            "MaxNumberOfMessages": 10,
            "VisibilityTimeout": 0,
            "AttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        },
    )
    rows = [
        (
            esc(m["MessageId"]),
            pre(m.get("Body", "")),
            esc(m.get("Attributes", {}).get("ApproximateReceiveCount", "")),
        )
        for m in answer.get("Messages", [])
    ]
    return f"<h3>{esc(url.rsplit('/', 1)[-1])}</h3>" + table(
        ("Message", "Body", "Receives"), rows, "no visible messages"
    )


async def send(ctx: ConsoleContext, url: str, body: str) -> str:
    try:
        sent = await ctx.call("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": body})
    except AwsError as exc:
        return f'<p class="err">{esc(exc.code)}: {esc(exc.message)}</p>'
    return f'<p class="ok">sent {esc(sent["MessageId"])}</p>'


async def redrive(ctx: ConsoleContext, url: str) -> str:
    """StartMessageMoveTask from the DLQ back to its source queues (no destination)."""
    try:
        arn = (
            await ctx.call(
                "sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]}
            )
        )["Attributes"]["QueueArn"]
        task = await ctx.call("sqs", "StartMessageMoveTask", {"SourceArn": arn})
    except AwsError as exc:
        return f'<p class="err">{esc(exc.code)}: {esc(exc.message)}</p>'
    return f'<p class="ok">redrive started: {esc(task.get("TaskHandle", ""))}</p>'


async def topics(ctx: ConsoleContext) -> str:
    if not ctx.has("sns"):
        return '<p class="muted">SNS is not running</p>'
    arns = [t["TopicArn"] for t in (await ctx.call("sns", "ListTopics", {})).get("Topics", [])]
    rows = []
    for arn in arns:
        subs = (await ctx.call("sns", "ListSubscriptionsByTopic", {"TopicArn": arn})).get(
            "Subscriptions", []
        )
        rows.append(
            (
                esc(arn.rsplit(":", 1)[-1]),
                esc(", ".join(f"{s['Protocol']}:{s['Endpoint'].rsplit(':', 1)[-1]}" for s in subs)),
            )
        )
    options = "".join(
        f'<option value="{esc(a)}">{esc(a.rsplit(":", 1)[-1])}</option>' for a in arns
    )
    form = _post_form(
        "topics/publish",
        f'<label>Topic <select name="arn">{options}</select></label> '
        '<label>Message <input name="message" size="50"></label> ',
        "Publish",
        "publish-result",
    )
    return table(("Topic", "Subscriptions"), rows, "no topics") + form


async def publish(ctx: ConsoleContext, arn: str, message: str) -> str:
    try:
        sent = await ctx.call("sns", "Publish", {"TopicArn": arn, "Message": message})
    except AwsError as exc:
        return f'<p class="err">{esc(exc.code)}: {esc(exc.message)}</p>'
    return f'<p class="ok">published {esc(sent["MessageId"])}</p>'
