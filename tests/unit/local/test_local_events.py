"""The local runner's events have the shapes AWS sends: each is validated by the Powertools
parser model (and read through the data class) that real handlers use."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, EventBridgeEvent, SQSEvent
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerTokenEvent,
)
from aws_lambda_powertools.utilities.parser.models import (
    ApiGatewayAuthorizerToken,
    APIGatewayProxyEventModel,
    EventBridgeModel,
    SqsModel,
)

from local.events import (
    ApiTarget,
    HttpRequest,
    api_gateway_event,
    method_arn,
    scheduled_event,
    sqs_event,
    token_authorizer_event,
)

NOW = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)


def test_an_api_request_becomes_a_rest_v1_proxy_event() -> None:
    request = HttpRequest(
        method="POST",
        path="/api/v1/sites/s-1/integrations/s3/",
        query="a=1&tag=x&tag=y&empty=",
        headers=[("Content-Type", "application/json"), ("X-Multi", "one"), ("X-Multi", "two")],
        body=b'{"enabled": true}',
        source_ip="127.0.0.7",
    )
    target = ApiTarget(
        resource="/api/v1/sites/{site_id}/integrations/{destination}",
        path_parameters={"site_id": "s-1", "destination": "s3"},
        stage="dev",
    )
    authorizer = {"principalId": "user-1", "account_id": "acct-1", "role": "owner", "sub": "user-1"}

    event = api_gateway_event(request, target, request_id="req-1", authorizer=authorizer, now=NOW)

    model = APIGatewayProxyEventModel.model_validate(event)
    assert model.resource == "/api/v1/sites/{site_id}/integrations/{destination}"
    assert model.pathParameters == {"site_id": "s-1", "destination": "s3"}
    assert model.queryStringParameters == {"a": "1", "tag": "y", "empty": ""}
    assert model.multiValueQueryStringParameters == {"a": ["1"], "tag": ["x", "y"], "empty": [""]}
    assert model.multiValueHeaders["X-Multi"] == ["one", "two"]
    assert model.requestContext.requestId == "req-1"
    assert model.requestContext.stage == "dev"
    assert model.requestContext.resourcePath == target.resource
    assert model.isBase64Encoded is False
    proxy = APIGatewayProxyEvent(event)
    assert proxy.json_body == {"enabled": True}
    assert proxy.request_context.identity.source_ip == "127.0.0.7"
    assert proxy.request_context.authorizer.principal_id == "user-1"
    assert proxy.request_context.authorizer.get("account_id") == "acct-1"
    assert proxy.request_context.request_time_epoch == int(NOW.timestamp() * 1000)


def test_a_request_without_query_parameters_or_body_has_nulls_where_api_gateway_has_them() -> None:
    event = api_gateway_event(
        HttpRequest("GET", "/api/v1/health"), ApiTarget("/api/v1/health"), request_id="req-2", now=NOW
    )

    APIGatewayProxyEventModel.model_validate(event)
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] is None
    assert "authorizer" not in event["requestContext"]


def test_a_binary_body_is_base64_encoded() -> None:
    payload = bytes(range(256))
    request = HttpRequest("PUT", "/upload", headers=[("Content-Type", "image/png")], body=payload)

    event = api_gateway_event(request, ApiTarget("/upload", binary_body=True), request_id="r", now=NOW)

    assert APIGatewayProxyEventModel.model_validate(event).isBase64Encoded is True
    assert base64.b64decode(event["body"]) == payload


def test_a_greedy_path_parameter_carries_the_rest_of_the_path() -> None:
    target = ApiTarget("/console/{proxy+}", path_parameters={"proxy": "assets/app.js"})

    event = api_gateway_event(HttpRequest("GET", "/console/assets/app.js"), target, request_id="r", now=NOW)

    assert APIGatewayProxyEventModel.model_validate(event).pathParameters == {"proxy": "assets/app.js"}


def test_the_token_authorizer_event_carries_the_method_arn_of_the_request() -> None:
    arn = method_arn("dev", "GET", "/api/v1/sites")

    event = token_authorizer_event("Bearer abc", arn)

    ApiGatewayAuthorizerToken.model_validate(event)
    parsed = APIGatewayAuthorizerTokenEvent(event).parsed_arn
    assert (parsed.region, parsed.aws_account_id, parsed.stage, parsed.http_method, parsed.resource) == (
        "us-east-1",
        "123456789012",
        "dev",
        "GET",
        "api/v1/sites",
    )


def test_a_schedule_tick_is_an_eventbridge_scheduled_event() -> None:
    rule = "arn:aws:events:us-east-1:123456789012:rule/Nightly"

    event = scheduled_event(rule, NOW)

    model = EventBridgeModel.model_validate(event)
    assert (model.source, model.detail_type, model.detail) == ("aws.events", "Scheduled Event", {})
    assert model.resources == [rule]
    assert EventBridgeEvent(event).time == "2026-11-21T10:00:00Z"
    assert scheduled_event(rule, NOW)["id"] != event["id"]


def test_received_sqs_messages_become_lambdas_sqs_records() -> None:
    body = '{"content_id": "c-1"}'
    message = {  # what boto3's ReceiveMessage answers with AttributeNames/MessageAttributeNames=All
        "MessageId": "m-1",
        "ReceiptHandle": "handle-1",
        "MD5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324
        "Body": body,
        "Attributes": {
            "SenderId": "AIDEXAMPLE",
            "SentTimestamp": "1795255200000",
            "ApproximateReceiveCount": "2",
            "ApproximateFirstReceiveTimestamp": "1795255200100",
        },
        "MessageAttributes": {
            "kind": {"StringValue": "publish", "DataType": "String"},
            "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"},
        },
    }
    arn = "arn:aws:sqs:us-east-1:123456789012:publisher-dev-publish"

    event = sqs_event([message], arn)

    (record,) = SqsModel.model_validate(event).Records
    assert (record.messageId, record.receiptHandle, record.body) == ("m-1", "handle-1", body)
    assert (record.eventSource, record.eventSourceARN, record.awsRegion) == ("aws:sqs", arn, "us-east-1")
    assert record.attributes.ApproximateReceiveCount == "2"
    assert record.messageAttributes["kind"].stringValue == "publish"
    assert record.messageAttributes["blob"].binaryValue == base64.b64encode(b"\x00\x01").decode()
    assert next(SQSEvent(event).records).json_body == {"content_id": "c-1"}
