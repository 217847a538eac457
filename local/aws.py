"""Create on moto every table, queue, key, secret and event bus that template.yaml declares,
and compute the environment the template gives each function."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.template import Resolver, load_template, parameter_defaults, resources_of_type

LOCAL_JWT_SECRET = "local-dev-secret-change-me"  # noqa: S105 - the README's documented local default
LOCAL_PARAMETERS = {"Stage": "dev", "AllowInsecureHttp": "true", "LogLevel": "INFO"}
REGION = "us-east-1"
ACCOUNT = "123456789012"


def local_credentials_env(endpoint_url: str) -> dict[str, str]:
    """What any process needs to talk to the embedded AWS instead of the real one."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # noqa: S105 - moto's dummy credentials
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
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """Globals' variables merged with the function's own, resolved, plus the local extras."""
        globals_vars = self.template.get("Globals", {}).get("Function", {}).get("Environment", {})
        own = self.template["Resources"][logical_id]["Properties"].get("Environment", {})
        variables = {**globals_vars.get("Variables", {}), **own.get("Variables", {})}
        env = {name: str(self.resolver.resolve(value)) for name, value in variables.items()}
        env.update(local_credentials_env(self.endpoint_url))
        env["JWT_SECRET"] = LOCAL_JWT_SECRET
        env.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
        env.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Publisher")
        return env


def provision(endpoint_url: str, parameters: dict[str, Any] | None = None,
              template: dict[str, Any] | None = None) -> Stack:
    """Create the template's stateful resources on the moto server at `endpoint_url`."""
    template = template or load_template()
    values = {**parameter_defaults(template), **LOCAL_PARAMETERS, **(parameters or {})}
    stack = Stack(template=template, endpoint_url=endpoint_url, resolver=Resolver(values))
    stack.resolver.conditions = template.get("Conditions", {})
    stack.resolver.attributes = lambda logical, attribute: _attribute(stack, logical, attribute)
    _create_tables(stack)
    _create_queues(stack)
    _create_keys_and_secrets(stack)
    _create_event_buses(stack)
    return stack


def _attribute(stack: Stack, logical: str, attribute: str) -> Any:
    resource = stack.template["Resources"][logical]
    name = stack.resolver.resolve(resource["Properties"].get("QueueName", logical))
    if resource["Type"] == "AWS::SQS::Queue" and attribute in {"Arn", "QueueName"}:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}" if attribute == "Arn" else name
    return f"arn:aws:local:{REGION}:{ACCOUNT}:{logical}"


def _create_tables(stack: Stack) -> None:
    dynamodb = stack.client("dynamodb")
    for logical, resource in resources_of_type(stack.template, "AWS::DynamoDB::Table").items():
        props = stack.resolver.resolve(resource["Properties"])
        spec = {key: props[key] for key in ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode")}
        if props.get("GlobalSecondaryIndexes"):
            spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        dynamodb.create_table(**spec)
        if props.get("TimeToLiveSpecification"):
            dynamodb.update_time_to_live(
                TableName=props["TableName"], TimeToLiveSpecification=props["TimeToLiveSpecification"]
            )
        stack.resolver.physical[logical] = props["TableName"]


def _create_queues(stack: Stack) -> None:
    sqs = stack.client("sqs")
    queues = resources_of_type(stack.template, "AWS::SQS::Queue")
    for logical in queues:  # every queue first, so redrive targets exist
        name = stack.resolver.resolve(queues[logical]["Properties"]["QueueName"])
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        stack.queue_urls[logical] = url
        stack.resolver.physical[logical] = url
    for logical, resource in queues.items():
        props = stack.resolver.resolve(resource["Properties"])
        attributes = {key: str(props[key]) for key in ("VisibilityTimeout", "MessageRetentionPeriod",
                                                        "DelaySeconds") if key in props}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        if attributes:
            sqs.set_queue_attributes(QueueUrl=stack.queue_urls[logical], Attributes=attributes)


def _create_keys_and_secrets(stack: Stack) -> None:
    kms = stack.client("kms")
    for logical, resource in resources_of_type(stack.template, "AWS::KMS::Key").items():
        description = resource["Properties"].get("Description", logical)
        stack.resolver.physical[logical] = kms.create_key(Description=description)["KeyMetadata"]["KeyId"]
    secrets = stack.client("secretsmanager")
    for logical, resource in resources_of_type(stack.template, "AWS::SecretsManager::Secret").items():
        name = stack.resolver.resolve(resource["Properties"]["Name"])
        arn = secrets.create_secret(Name=name, SecretString=LOCAL_JWT_SECRET)["ARN"]
        stack.resolver.physical[logical] = arn


def _create_event_buses(stack: Stack) -> None:
    events = stack.client("events")
    for logical, resource in resources_of_type(stack.template, "AWS::Events::EventBus").items():
        name = stack.resolver.resolve(resource["Properties"]["Name"])
        events.create_event_bus(Name=name)
        stack.resolver.physical[logical] = name
