"""Each function's effective IAM policy, read from template.yaml through SAM's own transform, and
an evaluator of AWS calls against it.

The translated template's roles hold the inline policies SAM expands from its policy templates
(DynamoDBCrudPolicy, SQSSendMessagePolicy, ...) and the managed policy ARNs SAM adds (basic
execution, X-Ray, the SQS poller's). Managed policies are taken from MANAGED_POLICIES below: a
role naming one that is not there is refused, so a new one is read before it is trusted.

Evaluation follows IAM for identity policies: an explicit Deny wins, else an Allow whose Action
and Resource patterns (`*` and `?` wildcards; actions case-insensitive) match. Conditions (such as
`s3:ResourceAccount`) are taken as satisfied: the calls under test are made in the deployment's
own account. NotAction/NotResource are not supported and refused.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
TOOLS_PYTHON = ROOT / ".tools" / "bin" / "python"
TRANSLATE_SCRIPT = Path(__file__).with_name("sam_translate.py")

# The AWS managed policies SAM attaches to the functions' roles, as AWS publishes them.
MANAGED_POLICIES: dict[str, list[dict[str, Any]]] = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole": [
        {
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            "Resource": "*",
        }
    ],
}


@cache
def translated_template(template: Path = ROOT / "template.yaml") -> dict[str, Any]:
    """template.yaml as CloudFormation, by the translator `sam` uses (in the .tools venv)."""
    if not TOOLS_PYTHON.exists():
        raise RuntimeError(f"{TOOLS_PYTHON} is missing: run `make install` (it installs aws-sam-cli)")
    done = subprocess.run(
        [str(TOOLS_PYTHON), str(TRANSLATE_SCRIPT), str(template)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"SAM could not translate {template}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


# --- intrinsic functions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """What Ref and GetAtt stand for: parameters, pseudo parameters, physical ids, attributes."""

    refs: Mapping[str, Any]
    getatt: Callable[[str, str], Any]

    @staticmethod
    def symbolic() -> Names:
        """Names that read like the template (`${ContentTable}`), to show grants to people."""
        return Names(_SymbolicRefs(), lambda logical, attribute: f"${{{logical}.{attribute}}}")


class _SymbolicRefs(dict):
    def __missing__(self, name: str) -> str:
        return "aws" if name == "AWS::Partition" else f"${{{name}}}"


def resolve(value: Any, names: Names) -> Any:
    """Resolve Ref, Fn::Sub (both forms), Fn::GetAtt, Fn::Join; anything else is refused."""
    if isinstance(value, list):
        return [resolve(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return names.refs[arg]
        if key == "Fn::GetAtt":
            logical, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
            return names.getatt(logical, attribute)
        if key == "Fn::Join":
            separator, items = arg
            return separator.join(str(item) for item in resolve(items, names))
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else arg
            local = {name: resolve(item, names) for name, item in variables.items()}
            return re.sub(r"\$\{([^}!]+)\}", lambda match: str(_sub_var(match.group(1), local, names)), text)
        if key.startswith("Fn::") or key == "Condition":
            raise ValueError(f"unsupported intrinsic {key} in a policy: {value}")
    return {key: resolve(item, names) for key, item in value.items()}


def _sub_var(name: str, local: Mapping[str, Any], names: Names) -> Any:
    if name in local:
        return local[name]
    if "." in name and not name.startswith("AWS::"):
        logical, attribute = name.split(".", 1)
        return names.getatt(logical, attribute)
    return names.refs[name]


# --- statements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    labels: tuple[str, ...]  # the resources as the template writes them
    source: str  # the inline policy or managed policy ARN it comes from


def _as_tuple(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def statements_of(document: Mapping[str, Any], source: str, names: Names) -> list[Statement]:
    found = []
    for raw in _as_tuple(document["Statement"]):
        unsupported = {"NotAction", "NotResource", "NotPrincipal"} & raw.keys()
        if unsupported:
            raise ValueError(f"{source}: {', '.join(sorted(unsupported))} is not supported by the evaluator")
        found.append(
            Statement(
                effect=raw["Effect"],
                actions=_as_tuple(resolve(raw["Action"], names)),
                resources=_as_tuple(resolve(raw["Resource"], names)),
                labels=_as_tuple(resolve(raw["Resource"], Names.symbolic())),
                source=source,
            )
        )
    return found


def function_policies(translated: Mapping[str, Any], names: Names) -> dict[str, list[Statement]]:
    """Every Lambda function's role policy (inline + managed), by the function's logical id."""
    resources = translated["Resources"]
    policies = {}
    for logical, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        role_ref = resource["Properties"]["Role"]
        role_id = role_ref["Fn::GetAtt"][0] if isinstance(role_ref, dict) else None
        if role_id not in resources:
            raise ValueError(f"{logical}: its role {role_ref} is not a role of the template")
        role = resources[role_id]["Properties"]
        statements = []
        for policy in role.get("Policies", []):
            statements += statements_of(policy["PolicyDocument"], policy["PolicyName"], names)
        for arn in resolve(role.get("ManagedPolicyArns", []), names):
            if arn not in MANAGED_POLICIES:
                raise ValueError(
                    f"{logical}: managed policy {arn} is not in MANAGED_POLICIES; add its content"
                )
            statements += statements_of({"Statement": MANAGED_POLICIES[arn]}, arn, names)
        policies[logical] = statements
    return policies


# --- evaluation ------------------------------------------------------------------------------


def _pattern(glob: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob), flags)


def action_matches(pattern: str, action: str) -> bool:
    return _pattern(pattern, re.IGNORECASE).fullmatch(action) is not None


def resource_matches(pattern: str, arn: str) -> bool:
    return _pattern(pattern).fullmatch(arn) is not None


def _covers(statement: Statement, action: str, arn: str) -> bool:
    return any(action_matches(a, action) for a in statement.actions) and any(
        resource_matches(r, arn) for r in statement.resources
    )


def is_allowed(statements: Iterable[Statement], action: str, arn: str) -> bool:
    """IAM's answer for one (action, resource): no explicit Deny and at least one Allow."""
    statements = list(statements)
    if any(s.effect == "Deny" and _covers(s, action, arn) for s in statements):
        return False
    return any(s.effect == "Allow" and _covers(s, action, arn) for s in statements)


@dataclass(frozen=True)
class Grant:
    """One (action, resource) an Allow statement names, in the template's words."""

    function: str
    action: str
    resource: str

    def __str__(self) -> str:
        return f"{self.function} {self.action} {self.resource}"


def unused_grants(
    policies: Mapping[str, list[Statement]], used: Iterable[tuple[str, str, str]]
) -> list[Grant]:
    """The (function, action pattern, resource pattern) of each Allow that no call in `used`
    ((function, action, arn) triples) exercised."""
    by_function: dict[str, list[tuple[str, str]]] = {}
    for function, action, arn in used:
        by_function.setdefault(function, []).append((action, arn))
    unused = set()
    for function, statements in policies.items():
        calls = by_function.get(function, [])
        for statement in statements:
            if statement.effect != "Allow":
                continue
            for action in statement.actions:
                for resource, label in zip(statement.resources, statement.labels, strict=True):
                    if not any(
                        action_matches(action, called) and resource_matches(resource, arn)
                        for called, arn in calls
                    ):
                        unused.add(Grant(function, action, label))
    return sorted(unused, key=str)
