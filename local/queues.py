"""SQS event sources as Lambda's poller runs them, on moto's real SQS: receive a batch (BatchSize,
MaximumBatchingWindowInSeconds), invoke, then delete what succeeded. Visibility timeouts,
DelaySeconds and redrive to the dead-letter queue are SQS's own (moto's), not re-implemented."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.events import sqs_event

log = logging.getLogger("local")

Invoke = Callable[..., Any]  # Functions.invoke(logical_id, event, trigger, outcome)


@dataclass(frozen=True)
class SqsSource:
    """An SQS event of a function in the template."""

    function: str
    event: str
    queue_arn: str
    batch_size: int = 10
    batching_window_seconds: int = 0
    report_batch_item_failures: bool = False
    maximum_concurrency: int | None = None
    """`ScalingConfig.MaximumConcurrency`: the most batches Lambda runs at once (None: no bound)."""

    @property
    def queue_name(self) -> str:
        return self.queue_arn.rsplit(":", 1)[1]


def sqs_sources(template: dict[str, Any], resolve: Callable[[Any], Any]) -> list[SqsSource]:
    """Every enabled SQS event of every function."""
    sources = []
    for function, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event, spec in (resource["Properties"].get("Events") or {}).items():
            if spec["Type"] != "SQS":
                continue
            props = resolve(spec["Properties"])
            if props.get("Enabled") is False:
                continue
            sources.append(
                SqsSource(
                    function=function,
                    event=event,
                    queue_arn=props["Queue"],
                    batch_size=int(props.get("BatchSize", 10)),
                    batching_window_seconds=int(props.get("MaximumBatchingWindowInSeconds", 0)),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in props.get("FunctionResponseTypes", []),
                    maximum_concurrency=(props.get("ScalingConfig") or {}).get("MaximumConcurrency"),
                )
            )
    return sources


def failed_message_ids(result: Any, message_ids: list[str]) -> set[str]:
    """The messages to leave on the queue after a successful invocation. With
    ReportBatchItemFailures, those listed; an id that is empty or not of this batch fails the
    whole batch, as Lambda does."""
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return set()
    listed = {item.get("itemIdentifier") if isinstance(item, dict) else None for item in failures}
    return set(message_ids) if not listed <= set(message_ids) else listed


@dataclass(frozen=True)
class BatchOutcome:
    """How an invocation's log line ends: the messages of the batch processed (a class, not a
    closure, so that a worker process can be handed it)."""

    ids: tuple[str, ...]
    report_batch_item_failures: bool

    def failed(self, result: Any) -> set[str]:
        """The ids of the messages the invocation's result reports failed."""
        return failed_message_ids(result, list(self.ids)) if self.report_batch_item_failures else set()

    def __call__(self, result: Any) -> str:
        return f"{len(self.ids) - len(self.failed(result))} of {len(self.ids)} processed"


class QueuePoller:
    """Polls one SQS event source into its function."""

    def __init__(self, source: SqsSource, sqs: Any, invoke: Invoke, wait_seconds: int = 1) -> None:
        self.source = source
        self.sqs = sqs
        self.invoke = invoke
        self.wait_seconds = wait_seconds
        self.queue_url = sqs.get_queue_url(QueueName=source.queue_name)["QueueUrl"]

    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(count, 10),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])

    def receive_batch(self) -> list[dict[str, Any]]:
        """Up to BatchSize messages, gathering for at most the batching window once one arrived."""
        batch = self._receive(self.source.batch_size, self.wait_seconds)
        window_ends = time.monotonic() + self.source.batching_window_seconds
        while batch and len(batch) < self.source.batch_size and (left := window_ends - time.monotonic()) > 0:
            batch += self._receive(self.source.batch_size - len(batch), min(int(left) or 1, 20))
        return batch

    def poll_once(self) -> int:
        """Receive one batch, invoke the function with it, delete what succeeded; the count received."""
        messages = self.receive_batch()
        if not messages:
            return 0
        outcome = BatchOutcome(
            tuple(message["MessageId"] for message in messages), self.source.report_batch_item_failures
        )
        try:
            result = self.invoke(
                self.source.function,
                sqs_event(messages, self.source.queue_arn),
                f"sqs {self.source.event}",
                outcome,
            )
        except Exception:  # the handler's own failure is logged by the invocation
            log.debug("%s: the batch failed; its messages come back", self.source.function, exc_info=True)
            return len(messages)
        failed = outcome.failed(result)
        done = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(done[start : start + 10])
            ]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        return len(messages)


def keep_polling(name: str, poll_once: Callable[[], int], stop: threading.Event) -> threading.Thread:
    """A thread calling `poll_once` until `stop` is set; a failed poll is logged and tried again a
    second later (the queue pollers and the rule pollers alike)."""

    def run() -> None:
        while not stop.is_set():
            try:
                poll_once()
            except Exception:
                if not stop.is_set():
                    log.warning("%s: polling failed; retrying", name, exc_info=True)
                stop.wait(1)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def pollers_of(source: SqsSource, concurrency: int) -> int:
    """How many batches of the source run at once: `concurrency` (the runner's queue workers; 0:
    one, in the runner's process), at most the source's MaximumConcurrency."""
    return max(1, min(concurrency, int(source.maximum_concurrency or concurrency)))


def start_pollers(
    sources: list[SqsSource],
    sqs: Any,
    invoke: Invoke,
    stop: threading.Event,
    wait_seconds: int = 1,
    concurrency: int = 0,
) -> list[threading.Thread]:
    """`pollers_of` each SQS event source polling threads, until `stop` is set: each receives a
    batch and waits for its invocation, as Lambda's event source mapping runs several at once."""
    threads = []
    for source in sources:
        poller = QueuePoller(source, sqs, invoke, wait_seconds)
        for number in range(pollers_of(source, concurrency)):
            threads.append(keep_polling(f"sqs-{source.function}-{number}", poller.poll_once, stop))
    return threads
