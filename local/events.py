"""The events AWS hands a function, built the way API Gateway, EventBridge and Lambda's SQS
poller build them (the shapes of `sam local generate-event`; tests validate them against
Powertools' parser models)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from local.aws import ACCOUNT, REGION

API_ID = "localapi00"


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request as the local API server received it."""

    method: str
    path: str  # decoded, without the query string
    query: str = ""
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    source_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        """The last value of a header, matched case-insensitively as HTTP does."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None


@dataclass(frozen=True)
class ApiTarget:
    """Where API Gateway routed the request: the template's resource and its stage."""

    resource: str  # "/api/v1/sites/{site_id}"
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    stage: str = "dev"
    stage_variables: Mapping[str, str] | None = None
    binary_body: bool = False


def method_arn(stage: str, method: str, path: str) -> str:
    """`arn:aws:execute-api:region:account:api/stage/METHOD/path`, what a TOKEN authorizer gets."""
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{stage}/{method}{path}"


def token_authorizer_event(token: str, arn: str) -> dict[str, Any]:
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}


def api_gateway_event(
    request: HttpRequest,
    target: ApiTarget,
    *,
    request_id: str,
    authorizer: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A REST API (payload v1) Lambda proxy event."""
    now = now or datetime.now(UTC)
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        multi_query.setdefault(name, []).append(value)
    if target.binary_body:
        body: str | None = base64.b64encode(request.body).decode()
    else:
        body = request.body.decode() if request.body else None
    context: dict[str, Any] = {
        "accountId": ACCOUNT,
        "apiId": API_ID,
        "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, target.resource).hex[:6],
        "resourcePath": target.resource,
        "httpMethod": request.method,
        "path": request.path,  # as SAM local: the stage is not part of the local URL
        "stage": target.stage,
        "requestId": request_id,
        "extendedRequestId": request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "protocol": "HTTP/1.1",
        "domainName": request.header("Host") or "127.0.0.1",
        "identity": {"sourceIp": request.source_ip, "userAgent": request.header("User-Agent")},
    }
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    return {
        "resource": target.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(target.path_parameters) or None,
        "stageVariables": dict(target.stage_variables) if target.stage_variables else None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": target.binary_body,
    }


def scheduled_event(rule_arn: str, when: datetime) -> dict[str, Any]:
    """What EventBridge sends a function on a schedule rule's tick."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


def _attribute_value(value: Mapping[str, Any]) -> dict[str, Any]:
    """boto3's MessageAttributeValue → Lambda's camelCase shape (binary as base64 text)."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    shaped: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [b64(item) for item in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = b64(value["BinaryValue"])
    return shaped


def sqs_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """One message from ReceiveMessage (AttributeNames=All) as a record of Lambda's SQS event."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _attribute_value(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3] or REGION,
    }


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {"Records": [sqs_record(message, queue_arn) for message in messages]}
