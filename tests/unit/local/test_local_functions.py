"""How the local runner reads the template's functions and SQS event sources, and decides
which messages of a batch stay on the queue."""

from __future__ import annotations

import copy

import pytest

from local.aws import Stack
from local.functions import LocalContext, function_specs, shared_environment
from local.queues import SqsSource, failed_message_ids, pollers_of, sqs_sources
from local.template import ROOT, Resolver, load_template, parameter_defaults


def offline_stack(template: dict) -> Stack:
    """A Stack whose physical ids are made up (nothing is created: no AWS is called)."""
    resolver = Resolver(parameter_defaults(template))
    for name in template["Resources"]:
        resolver.physical[name] = f"physical-{name}"
    resolver.attributes = lambda logical, attribute: f"arn:aws:sqs:us-east-1:123456789012:{logical}"
    resolver.conditions = template.get("Conditions", {})
    return Stack(template=template, endpoint_url="http://127.0.0.1:1", resolver=resolver)


def test_every_function_resolves_to_its_app_py_with_the_globals_applied() -> None:
    specs = function_specs(offline_stack(load_template()))

    assert specs["SitesApiFunction"].source == ROOT / "functions/sites_api/app.py"
    assert specs["SitesApiFunction"].handler == "lambda_handler"
    assert (specs["SitesApiFunction"].timeout, specs["SitesApiFunction"].memory) == (15, 512)
    assert (specs["AuthorizerFunction"].timeout, specs["AuthorizerFunction"].memory) == (5, 256)
    assert specs["SitesApiFunction"].serves_api and not specs["PublishWorkerFunction"].serves_api
    assert all(spec.source.is_file() for spec in specs.values())


def test_all_functions_of_the_template_share_one_environment() -> None:
    stack = offline_stack(load_template())

    env = shared_environment(stack, function_specs(stack))

    assert env["SITES_TABLE"] == "physical-SitesTable"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"


def test_a_function_with_variables_of_its_own_is_refused() -> None:
    template = copy.deepcopy(load_template())
    template["Resources"]["PublishWorkerFunction"]["Properties"]["Environment"] = {
        "Variables": {"WORKER_ONLY": "yes"}
    }
    stack = offline_stack(template)

    with pytest.raises(ValueError, match="WORKER_ONLY"):
        shared_environment(stack, function_specs(stack))


def test_the_templates_queue_event_sources_are_read_with_their_batch_settings() -> None:
    stack = offline_stack(load_template())

    sources = sqs_sources(stack.template, stack.resolver.resolve)

    assert sources == [
        SqsSource(
            function="PublishWorkerFunction",
            event="PublishQueueMessages",
            queue_arn="arn:aws:sqs:us-east-1:123456789012:PublishQueue",
            batch_size=10,
            batching_window_seconds=0,
            report_batch_item_failures=True,
            maximum_concurrency=20,
        ),
        SqsSource(
            function="WorkUnitsFunction",
            event="WorkQueueMessages",
            queue_arn="arn:aws:sqs:us-east-1:123456789012:WorkQueue",
            batch_size=10,
            batching_window_seconds=0,
            report_batch_item_failures=True,
            maximum_concurrency=10,
        ),
    ]
    assert [source.queue_name for source in sources] == ["PublishQueue", "WorkQueue"]


@pytest.mark.parametrize(
    ("queue_workers", "maximum_concurrency", "pollers"),
    [(0, 20, 1), (2, 20, 2), (4, 3, 3), (4, None, 4), (1, None, 1)],
)
def test_a_queue_runs_the_runners_queue_workers_batches_at_once_at_most_its_maximum_concurrency(
    queue_workers: int, maximum_concurrency: int | None, pollers: int
) -> None:
    source = SqsSource(
        "F", "E", "arn:aws:sqs:us-east-1:123456789012:Q", maximum_concurrency=maximum_concurrency
    )

    assert pollers_of(source, queue_workers) == pollers


BATCH = ["m-1", "m-2", "m-3"]


@pytest.mark.parametrize(
    ("result", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "m-2"}]}, {"m-2"}),
        ({"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-3"}]}, {"m-1", "m-3"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, set(BATCH)),  # malformed: the whole batch
        ({"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}, set(BATCH)),
        ({"batchItemFailures": [{}]}, set(BATCH)),
    ],
)
def test_reported_batch_item_failures_decide_what_stays(result: object, failed: set[str]) -> None:
    assert failed_message_ids(result, BATCH) == failed


def test_the_lambda_context_counts_down_from_the_functions_timeout() -> None:
    context = LocalContext("SitesApiFunction", memory_mb=512, timeout_s=15)

    assert context.function_name == "SitesApiFunction"
    assert context.memory_limit_in_mb == 512
    assert context.invoked_function_arn.endswith(":function:SitesApiFunction")
    assert context.get_remaining_time_in_millis() <= 15_000
    assert LocalContext("X", 128, 3).aws_request_id != context.aws_request_id
