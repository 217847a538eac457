"""Create on moto every table, queue, key, secret and event bus that template.yaml declares,
and compute the environment the template gives each function."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.template import Resolver, load_template, parameter_defaults, resources_of_type
from publisher.tokens import LOCAL_DEV_SECRET as LOCAL_JWT_SECRET

LOCAL_PARAMETERS = {"Stage": "dev", "AllowInsecureHttp": "true", "LogLevel": "INFO"}
REGION = "us-east-1"
ACCOUNT = "123456789012"
LOGICAL_ID_TAG = "publisher-local:logical-id"  # how `attach` finds the keys `provision` made


def local_jwt_secret() -> str:
    """The secret every local verb signs and verifies with: JWT_SECRET, or when it is unset the
    public default the README names (LOCAL_JWT_SECRET; fine for a laptop, never for a shared host)."""
    return os.environ.get("JWT_SECRET") or LOCAL_JWT_SECRET


def local_credentials_env(endpoint_url: str) -> dict[str, str]:
    """What any process needs to talk to the embedded AWS instead of the real one."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


@dataclass
class Stack:
    """The resources created on moto and how to reach them."""

    template: dict[str, Any]
    endpoint_url: str
    resolver: Resolver
    queue_urls: dict[str, str] = field(default_factory=dict)  # logical id → URL

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """Globals' variables merged with the function's own, resolved, plus the local extras."""
        globals_vars = self.template.get("Globals", {}).get("Function", {}).get("Environment", {})
        own = self.template["Resources"][logical_id]["Properties"].get("Environment", {})
        variables = {**globals_vars.get("Variables", {}), **own.get("Variables", {})}
        env = {name: str(self.resolver.resolve(value)) for name, value in variables.items()}
        env.update(local_credentials_env(self.endpoint_url))
        env["JWT_SECRET"] = local_jwt_secret()
        env.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
        env.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Publisher")
        return env


def local_parameters(template: dict[str, Any]) -> dict[str, Any]:
    """The template's parameter values for a local run: defaults, then LOCAL_PARAMETERS."""
    return {**parameter_defaults(template), **LOCAL_PARAMETERS}


def provision(
    endpoint_url: str, parameters: dict[str, Any] | None = None, template: dict[str, Any] | None = None
) -> Stack:
    """Create the template's stateful resources on the moto server at `endpoint_url`."""
    return _stack(endpoint_url, parameters, template, create=True)


def attach(
    endpoint_url: str, parameters: dict[str, Any] | None = None, template: dict[str, Any] | None = None
) -> Stack:
    """The stack that `provision` already created on the moto server at `endpoint_url`
    (a running `python -m local start`), found by name; KeyError if it is not there."""
    return _stack(endpoint_url, parameters, template, create=False)


def _stack(
    endpoint_url: str, parameters: dict[str, Any] | None, template: dict[str, Any] | None, *, create: bool
) -> Stack:
    template = template or load_template()
    values = {**local_parameters(template), **(parameters or {})}
    stack = Stack(template=template, endpoint_url=endpoint_url, resolver=Resolver(values))
    stack.resolver.conditions = template.get("Conditions", {})
    stack.resolver.attributes = lambda logical, attribute: _attribute(stack, logical, attribute)
    _tables(stack, create)
    _queues(stack, create)
    _keys_and_secrets(stack, create)
    _event_buses(stack, create)
    _topics(stack)
    return stack


def _attribute(stack: Stack, logical: str, attribute: str) -> Any:
    resource = stack.template["Resources"][logical]
    name = stack.resolver.resolve(resource["Properties"].get("QueueName", logical))
    if resource["Type"] == "AWS::SQS::Queue" and attribute in {"Arn", "QueueName"}:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}" if attribute == "Arn" else name
    return f"arn:aws:local:{REGION}:{ACCOUNT}:{logical}"


def _tables(stack: Stack, create: bool) -> None:
    dynamodb = stack.client("dynamodb")
    for logical, resource in resources_of_type(stack.template, "AWS::DynamoDB::Table").items():
        props = stack.resolver.resolve(resource["Properties"])
        stack.resolver.physical[logical] = props["TableName"]
        if not create:
            dynamodb.describe_table(TableName=props["TableName"])
            continue
        spec = {key: props[key] for key in ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode")}
        if props.get("GlobalSecondaryIndexes"):
            spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        dynamodb.create_table(**spec)
        if props.get("TimeToLiveSpecification"):
            dynamodb.update_time_to_live(
                TableName=props["TableName"], TimeToLiveSpecification=props["TimeToLiveSpecification"]
            )


def _queues(stack: Stack, create: bool) -> None:
    sqs = stack.client("sqs")
    queues = resources_of_type(stack.template, "AWS::SQS::Queue")
    for logical in queues:  # every queue first, so redrive targets exist
        name = stack.resolver.resolve(queues[logical]["Properties"]["QueueName"])
        found = sqs.create_queue(QueueName=name) if create else sqs.get_queue_url(QueueName=name)
        url = found["QueueUrl"]
        stack.queue_urls[logical] = url
        stack.resolver.physical[logical] = url
    if not create:
        return
    for logical, resource in queues.items():
        props = stack.resolver.resolve(resource["Properties"])
        attributes = {
            key: str(props[key])
            for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds")
            if key in props
        }
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        if attributes:
            sqs.set_queue_attributes(QueueUrl=stack.queue_urls[logical], Attributes=attributes)


def _keys_and_secrets(stack: Stack, create: bool) -> None:
    kms = stack.client("kms")
    existing = {} if create else _keys_by_logical_id(kms)
    for logical, resource in resources_of_type(stack.template, "AWS::KMS::Key").items():
        if not create:
            stack.resolver.physical[logical] = existing[logical]
            continue
        description = resource["Properties"].get("Description", logical)
        tags = [{"TagKey": LOGICAL_ID_TAG, "TagValue": logical}]
        key = kms.create_key(Description=description, Tags=tags)
        stack.resolver.physical[logical] = key["KeyMetadata"]["KeyId"]
    secrets = stack.client("secretsmanager")
    for logical, resource in resources_of_type(stack.template, "AWS::SecretsManager::Secret").items():
        name = stack.resolver.resolve(resource["Properties"]["Name"])
        if create:
            arn = secrets.create_secret(Name=name, SecretString=local_jwt_secret())["ARN"]
        else:
            arn = secrets.describe_secret(SecretId=name)["ARN"]
        stack.resolver.physical[logical] = arn


def _keys_by_logical_id(kms: Any) -> dict[str, str]:
    keys = {}
    for key in kms.list_keys()["Keys"]:
        for tag in kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", []):
            if tag["TagKey"] == LOGICAL_ID_TAG:
                keys[tag["TagValue"]] = key["KeyId"]
    return keys


def _event_buses(stack: Stack, create: bool) -> None:
    events = stack.client("events")
    for logical, resource in resources_of_type(stack.template, "AWS::Events::EventBus").items():
        name = stack.resolver.resolve(resource["Properties"]["Name"])
        if create:
            events.create_event_bus(Name=name)
        else:
            events.describe_event_bus(Name=name)
        stack.resolver.physical[logical] = name


def _topics(stack: Stack) -> None:
    """SNS topics (CreateTopic is idempotent, so `attach` finds them the same way); Ref is the ARN."""
    sns = stack.client("sns")
    for logical, resource in resources_of_type(stack.template, "AWS::SNS::Topic").items():
        name = stack.resolver.resolve(resource["Properties"]["TopicName"])
        stack.resolver.physical[logical] = sns.create_topic(Name=name)["TopicArn"]
