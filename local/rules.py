"""EventBridge rules of the template (a function's `EventBridgeRule` events), run on moto's real
EventBridge: each rule is put on its bus with its pattern and, as its target, an SQS queue of the
runner's own (moto delivers every matching event there); a poller invokes the function with each
event, one at a time, as EventBridge invokes a function (asynchronously, the event as it was put).

The delivery settings (the rule's RetryPolicy and DeadLetterConfig, the function's
EventInvokeConfig and DeadLetterQueue) are not emulated: a failed invocation is logged."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.queues import keep_polling

log = logging.getLogger("local")

Invoke = Callable[..., Any]  # Functions.invoke(logical_id, event, trigger)
NOT_EMULATED = {"DeadLetterConfig", "RetryPolicy"}


@dataclass(frozen=True)
class RuleSource:
    """An EventBridgeRule event of a function in the template."""

    function: str
    event: str
    bus_name: str
    pattern: dict[str, Any]

    @property
    def rule_name(self) -> str:
        return f"{self.function}{self.event}"


def rule_sources(template: dict[str, Any], resolve: Callable[[Any], Any]) -> list[RuleSource]:
    """Every enabled EventBridgeRule event of every function."""
    sources = []
    for function, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event, spec in (resource["Properties"].get("Events") or {}).items():
            if spec["Type"] != "EventBridgeRule":
                continue
            props = resolve({k: v for k, v in spec["Properties"].items() if k not in NOT_EMULATED})
            if props.get("State") == "DISABLED" or props.get("Enabled") is False:
                continue
            sources.append(
                RuleSource(
                    function=function,
                    event=event,
                    bus_name=props.get("EventBusName", "default"),
                    pattern=props["Pattern"],
                )
            )
    return sources


class RulePoller:
    """Puts one rule on its bus, targeting a queue of its own, and invokes the function per event."""

    def __init__(
        self, source: RuleSource, events: Any, sqs: Any, invoke: Invoke, wait_seconds: int = 1
    ) -> None:
        self.source = source
        self.sqs = sqs
        self.invoke = invoke
        self.wait_seconds = wait_seconds
        self.queue_url = sqs.create_queue(QueueName=f"local-rule-{source.rule_name}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        events.put_rule(
            Name=source.rule_name, EventBusName=source.bus_name, EventPattern=json.dumps(source.pattern)
        )
        events.put_targets(
            Rule=source.rule_name,
            EventBusName=source.bus_name,
            Targets=[{"Id": "local-runner", "Arn": queue_arn["Attributes"]["QueueArn"]}],
        )

    def poll_once(self) -> int:
        """Deliver the events that arrived (up to 10); how many."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=self.wait_seconds
        ).get("Messages", [])
        for message in messages:
            event = json.loads(message["Body"])
            trigger = f"rule {self.source.event} {event.get('detail-type')}"
            try:
                self.invoke(self.source.function, event, trigger)
            except Exception:  # logged by Functions.invoke; EventBridge's async invoke does not retry here
                log.debug("rule %s: the invocation failed", self.source.rule_name, exc_info=True)
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


def start_rules(
    sources: list[RuleSource],
    events: Any,
    sqs: Any,
    invoke: Invoke,
    stop: threading.Event,
    wait_seconds: int = 1,
) -> list[threading.Thread]:
    """Each rule on its bus and one delivering thread per rule, until `stop` is set."""
    return [
        keep_polling(
            f"rule-{source.rule_name}", RulePoller(source, events, sqs, invoke, wait_seconds).poll_once, stop
        )
        for source in sources
    ]
