"""How the local runner reads the template's EventBridge rules, and that the Notifier's rule matches
exactly the events the service puts on its bus and a site can subscribe to."""

from __future__ import annotations

from local.rules import rule_sources
from local.template import load_template
from publisher.domain.notifications import FROM_DETAIL_TYPE, NOTIFICATION_EVENTS
from publisher.services import events
from tests.unit.local.test_local_functions import offline_stack


def test_the_notifier_rule_is_read_with_its_bus_and_pattern_and_without_its_delivery_settings() -> None:
    stack = offline_stack(load_template())

    [rule] = rule_sources(stack.template, stack.resolver.resolve)

    assert (rule.function, rule.event, rule.rule_name) == (
        "NotifierFunction",
        "PublisherEvents",
        "NotifierFunctionPublisherEvents",
    )
    assert rule.bus_name == "physical-PublisherEventBus"
    assert rule.pattern["source"] == [events.SOURCE]


def test_the_rule_matches_the_bus_events_each_notification_comes_from() -> None:
    stack = offline_stack(load_template())

    [rule] = rule_sources(stack.template, stack.resolver.resolve)

    emitted = {events.PUBLICATION_SUCCEEDED, events.PUBLICATION_FAILED, events.DEPLOYMENT_COMPLETED}
    assert set(rule.pattern["detail-type"]) == emitted == set(FROM_DETAIL_TYPE)
    assert set(FROM_DETAIL_TYPE.values()) == set(NOTIFICATION_EVENTS)


def test_a_disabled_rule_is_not_run() -> None:
    template = load_template()
    spec = template["Resources"]["NotifierFunction"]["Properties"]["Events"]["PublisherEvents"]
    spec["Properties"]["State"] = "DISABLED"
    stack = offline_stack(template)

    assert rule_sources(stack.template, stack.resolver.resolve) == []
