"""The IAM evaluator behind the contract test, and what the translated template's roles hold."""

from __future__ import annotations

import pytest

from tests.support.aws_calls import required
from tests.unit.infra.iam_policy import (
    Names,
    Statement,
    function_policies,
    is_allowed,
    resolve,
    statements_of,
    translated_template,
    unused_grants,
)

NAMES = Names(
    refs={"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "111", "Things": "things"},
    getatt=lambda logical, attribute: f"arn:aws:dynamodb:eu-west-1:111:table/{logical.lower()}",
)
TABLE = "arn:aws:dynamodb:eu-west-1:111:table/things"


def allow(actions: list[str], resources: list[str], effect: str = "Allow") -> list[Statement]:
    document = {"Statement": [{"Effect": effect, "Action": actions, "Resource": resources}]}
    return statements_of(document, "test", NAMES)


@pytest.mark.parametrize(
    ("granted", "action", "allowed"),
    [
        ("dynamodb:GetItem", "dynamodb:GetItem", True),
        ("dynamodb:getitem", "dynamodb:GetItem", True),  # actions are case-insensitive
        ("dynamodb:*", "dynamodb:Query", True),
        ("dynamodb:Get*", "dynamodb:GetItem", True),
        ("dynamodb:Get*", "dynamodb:Scan", False),
        ("dynamodb:GetItem", "dynamodb:GetItems", False),  # whole-string match
        ("sqs:*", "dynamodb:GetItem", False),
    ],
)
def test_actions_match_with_wildcards_and_case_insensitively(granted, action, allowed):
    assert is_allowed(allow([granted], [TABLE]), action, TABLE) is allowed


@pytest.mark.parametrize(
    ("resource", "arn", "allowed"),
    [
        (TABLE, TABLE, True),
        (TABLE, TABLE + "/index/by-site", False),  # the table's grant does not reach its indexes
        (TABLE + "/index/*", TABLE + "/index/by-site", True),
        (TABLE + "/index/*", TABLE, False),
        ("arn:aws:s3:::publisher-site-*/*", "arn:aws:s3:::publisher-site-a/x/index.html", True),
        ("arn:aws:s3:::publisher-site-*/*", "arn:aws:s3:::other-bucket/x", False),
        ("arn:aws:s3:::publisher-site-*", "arn:aws:s3:::publisher-site-a", True),
        ("arn:aws:sqs:*:111:q?", "arn:aws:sqs:eu-west-1:111:q1", True),
        ("arn:aws:sqs:*:111:q?", "arn:aws:sqs:eu-west-1:111:q10", False),
        ("arn:aws:dynamodb:eu-west-1:111:table/Things", TABLE, False),  # ARNs are case-sensitive
    ],
)
def test_resources_match_with_wildcards(resource, arn, allowed):
    assert is_allowed(allow(["dynamodb:GetItem"], [resource]), "dynamodb:GetItem", arn) is allowed


def test_an_explicit_deny_wins_over_an_allow():
    statements = allow(["dynamodb:*"], ["*"]) + allow(["dynamodb:DeleteItem"], [TABLE], effect="Deny")
    assert is_allowed(statements, "dynamodb:GetItem", TABLE)
    assert not is_allowed(statements, "dynamodb:DeleteItem", TABLE)


def test_no_statement_means_denied():
    assert not is_allowed([], "dynamodb:GetItem", TABLE)


def test_intrinsics_resolve_as_cloudformation_does():
    value = {
        "Fn::Sub": [
            "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${name}/index/*",
            {"name": {"Ref": "Things"}},
        ]
    }
    assert resolve(value, NAMES) == TABLE + "/index/*"
    assert resolve({"Fn::Sub": "${Things.Arn}/index/*"}, NAMES) == TABLE + "/index/*"
    assert resolve({"Fn::GetAtt": ["Things", "Arn"]}, NAMES) == TABLE
    assert resolve({"Fn::Join": [":", ["a", {"Ref": "Things"}]]}, NAMES) == "a:things"
    with pytest.raises(ValueError, match="Fn::If"):
        resolve({"Fn::If": ["Cond", "a", "b"]}, NAMES)


def test_not_action_is_refused_rather_than_misread():
    with pytest.raises(ValueError, match="NotAction"):
        statements_of({"Statement": [{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]}, "t", NAMES)


def test_unused_grants_are_the_action_resource_pairs_no_call_matched():
    policies = {"Fn": allow(["dynamodb:GetItem", "dynamodb:PutItem"], [TABLE, TABLE + "/index/*"])}
    used = {("Fn", "dynamodb:GetItem", TABLE), ("Other", "dynamodb:PutItem", TABLE)}
    assert [str(grant) for grant in unused_grants(policies, used)] == [
        f"Fn dynamodb:GetItem {TABLE}/index/*",
        f"Fn dynamodb:PutItem {TABLE}",
        f"Fn dynamodb:PutItem {TABLE}/index/*",
    ]


@pytest.mark.parametrize(
    ("service", "operation", "params", "reply", "needed"),
    [
        (
            "dynamodb",
            "Query",
            {"TableName": "t", "IndexName": "i"},
            None,
            [("dynamodb:Query", "table/t/index/i")],
        ),
        (
            "dynamodb",
            "TransactWriteItems",
            {"TransactItems": [{"Put": {"TableName": "a"}}, {"ConditionCheck": {"TableName": "b"}}]},
            None,
            [("dynamodb:PutItem", "table/a"), ("dynamodb:ConditionCheckItem", "table/b")],
        ),
        ("sqs", "SendMessageBatch", {"QueueUrl": "http://h/111/q"}, None, [("sqs:SendMessage", ":q")]),
        ("s3", "HeadBucket", {"Bucket": "b"}, None, [("s3:ListBucket", "arn:aws:s3:::b")]),
        ("s3", "HeadObject", {"Bucket": "b", "Key": "k/i"}, None, [("s3:GetObject", "arn:aws:s3:::b/k/i")]),
        (
            "kms",
            "Decrypt",
            {},
            {"KeyId": "arn:aws:kms:r:1:key/k"},
            [("kms:Decrypt", "arn:aws:kms:r:1:key/k")],
        ),
    ],
)
def test_each_call_needs_the_action_iam_checks_on_the_resource_it_touches(
    service, operation, params, reply, needed
):
    found = required(service, operation, params, reply, "r")
    assert [action for action, _ in found] == [action for action, _ in needed]
    assert all(arn.endswith(suffix) for (_, arn), (_, suffix) in zip(found, needed, strict=True))


# --- the template as SAM translates it ---------------------------------------------------------


@pytest.fixture(scope="module")
def policies():
    names = Names(
        refs={
            "AWS::Partition": "aws",
            "AWS::Region": "r",
            "AWS::AccountId": "1",
            "StaticSiteBucketPrefix": "p-",
        },
        getatt=lambda logical, attribute: f"arn:aws:x:r:1:{logical}",
    )
    names = Names(refs=_Any(names.refs), getatt=names.getatt)
    return function_policies(translated_template(), names)


class _Any(dict):
    def __missing__(self, name: str) -> str:
        return name


def test_no_function_may_scan_or_describe_a_table(policies):
    granted = {action for statements in policies.values() for s in statements for action in s.actions}
    assert not {a for a in granted if a.lower() in {"dynamodb:scan", "dynamodb:*", "*"}}


def test_deleteitem_only_where_the_code_deletes(policies):
    tables = {
        resource.rsplit(":", 1)[1]
        for statements in policies.values()
        for s in statements
        if "dynamodb:DeleteItem" in s.actions
        for resource in s.resources
    }
    # DeploymentsTable: DELETE /publisher/deployments/{id} of a finished deployment (API.md v1.1)
    # ContentTable, SitesTable: DELETE /content/{id}/ and /sites/{id}/ (editorial operations)
    # UsageTable: a title's search words removed when the title changes (store/search.py)
    assert tables == {
        "UniqueKeysTable",
        "IntegrationsTable",
        "RecordsTable",
        "DeploymentsTable",
        "ContentTable",
        "SitesTable",
        "UsageTable",
    }


def test_s3_grants_are_object_actions_on_the_prefix_in_this_account_only():
    translated = translated_template()
    for resource in translated["Resources"].values():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                if not any(a.startswith("s3:") for a in actions):
                    continue
                assert set(actions) <= {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"}
                assert statement["Condition"] == {
                    "StringEquals": {"s3:ResourceAccount": {"Ref": "AWS::AccountId"}}
                }
