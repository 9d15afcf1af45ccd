"""SQS over the query protocol (older SDKs, the v1 CLI): the names the query wire uses.

botocore 1.44 describes SQS for the JSON protocol only, and its model no longer
carries the query-era element names: ``Attribute.1.Name`` rather than
``Attributes``, ``AttributeName.1``, ``MessageAttribute.1.Value.StringValue``,
``SendMessageBatchRequestEntry.1.Id``, and ``<Message>`` / ``<QueueUrl>`` /
``<Attribute><Name/><Value/></Attribute>`` in responses. ``query_model`` puts them
back, so the endpoint's generic query protocol reads and writes SQS as it was.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from serverlite.aws.backend import QueryService

XML_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"

# (structure, member) -> the member's name on the query wire.
MEMBER_NAMES: dict[tuple[str, str], str] = {
    ("AddPermissionRequest", "AWSAccountIds"): "AWSAccountId",
    ("AddPermissionRequest", "Actions"): "ActionName",
    ("ChangeMessageVisibilityBatchRequest", "Entries"): "ChangeMessageVisibilityBatchRequestEntry",
    ("ChangeMessageVisibilityBatchResult", "Successful"): "ChangeMessageVisibilityBatchResultEntry",
    ("ChangeMessageVisibilityBatchResult", "Failed"): "BatchResultErrorEntry",
    ("CreateQueueRequest", "Attributes"): "Attribute",
    ("CreateQueueRequest", "tags"): "Tag",
    ("DeleteMessageBatchRequest", "Entries"): "DeleteMessageBatchRequestEntry",
    ("DeleteMessageBatchResult", "Successful"): "DeleteMessageBatchResultEntry",
    ("DeleteMessageBatchResult", "Failed"): "BatchResultErrorEntry",
    ("GetQueueAttributesRequest", "AttributeNames"): "AttributeName",
    ("GetQueueAttributesResult", "Attributes"): "Attribute",
    ("ListDeadLetterSourceQueuesResult", "queueUrls"): "QueueUrl",
    ("ListMessageMoveTasksResult", "Results"): "ListMessageMoveTasksResultEntry",
    ("ListQueueTagsResult", "Tags"): "Tag",
    ("ListQueuesResult", "QueueUrls"): "QueueUrl",
    ("Message", "Attributes"): "Attribute",
    ("Message", "MessageAttributes"): "MessageAttribute",
    ("MessageAttributeValue", "StringListValues"): "StringListValue",
    ("MessageAttributeValue", "BinaryListValues"): "BinaryListValue",
    ("MessageSystemAttributeValue", "StringListValues"): "StringListValue",
    ("MessageSystemAttributeValue", "BinaryListValues"): "BinaryListValue",
    ("ReceiveMessageRequest", "AttributeNames"): "AttributeName",
    ("ReceiveMessageRequest", "MessageSystemAttributeNames"): "MessageSystemAttributeName",
    ("ReceiveMessageRequest", "MessageAttributeNames"): "MessageAttributeName",
    ("ReceiveMessageResult", "Messages"): "Message",
    ("SendMessageBatchRequest", "Entries"): "SendMessageBatchRequestEntry",
    ("SendMessageBatchRequestEntry", "MessageAttributes"): "MessageAttribute",
    ("SendMessageBatchRequestEntry", "MessageSystemAttributes"): "MessageSystemAttribute",
    ("SendMessageBatchResult", "Successful"): "SendMessageBatchResultEntry",
    ("SendMessageBatchResult", "Failed"): "BatchResultErrorEntry",
    ("SendMessageRequest", "MessageAttributes"): "MessageAttribute",
    ("SendMessageRequest", "MessageSystemAttributes"): "MessageSystemAttribute",
    ("SetQueueAttributesRequest", "Attributes"): "Attribute",
    ("TagQueueRequest", "Tags"): "Tag",
    ("UntagQueueRequest", "TagKeys"): "TagKey",
}
# map shape -> the names of its key and value elements.
MAP_NAMES: dict[str, tuple[str, str]] = {
    "MessageBodyAttributeMap": ("Name", "Value"),
    "MessageBodySystemAttributeMap": ("Name", "Value"),
    "MessageSystemAttributeMap": ("Name", "Value"),
    "QueueAttributeMap": ("Name", "Value"),
    "TagMap": ("Key", "Value"),
}


def query_model_dict() -> dict[str, Any]:
    """botocore's SQS model (JSON form) with the query protocol's element names restored."""
    from botocore.loaders import create_loader

    raw: dict[str, Any] = copy.deepcopy(create_loader().load_service_model("sqs", "service-2"))
    shapes = raw["shapes"]
    for (structure, member), name in MEMBER_NAMES.items():
        ref = shapes[structure]["members"][member]
        ref["locationName"] = name
        target = shapes[ref["shape"]]
        if target["type"] == "list":
            target["member"]["locationName"] = name
    for shape, (key, value) in MAP_NAMES.items():
        shapes[shape]["key"]["locationName"] = key
        shapes[shape]["value"]["locationName"] = value
    return raw


def query_model() -> Any:
    from botocore.model import ServiceModel

    return ServiceModel(query_model_dict(), service_name="sqs")


@dataclass(frozen=True)
class SqsQueryService(QueryService):
    """The endpoint's query protocol, reading SQS with its query-era names."""

    @property
    def model(self) -> Any:
        if not self._model:  # loaded on the first query request: botocore is slow to import
            self._model.append(query_model())
        return self._model[0]
