"""template.yaml as data: a YAML loader that understands CloudFormation's short tags, and a
resolver for the intrinsics the local runner needs (Ref, Sub, GetAtt, If, Equals, Not)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader plus `!Ref`, `!Sub`, `!GetAtt` … as their long `Fn::` forms."""


def _construct_tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


@dataclass
class Resolver:
    """Resolves intrinsics against parameter values and the physical ids of resources."""

    parameters: dict[str, Any]
    physical: dict[str, Any] = field(default_factory=dict)  # logical id → Ref value
    attributes: Callable[[str, str], Any] | None = None  # (logical id, attribute) → value
    conditions: Mapping[str, Any] = field(default_factory=dict)

    def ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name]
        if name.startswith("AWS::"):
            return {
                "AWS::Region": "us-east-1",
                "AWS::AccountId": "123456789012",
                "AWS::Partition": "aws",
                "AWS::StackName": "publisher-local",
            }[name]
        raise KeyError(f"cannot resolve Ref {name}")

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.conditions[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::Sub":
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._sub_var(m.group(1))), arg)
            if key == "Fn::GetAtt":
                if self.attributes is None:
                    raise KeyError(f"cannot resolve GetAtt {arg}")
                return self.attributes(arg[0], arg[1])
            if key == "Fn::If":
                name, yes, no = arg
                return self.resolve(yes if self.condition(name) else no)
            if key == "Fn::Equals":
                left, right = self.resolve(arg)
                return left == right
            if key == "Fn::Not":
                return not self.resolve(arg[0])
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub_var(self, name: str) -> Any:
        if "." in name and self.attributes is not None:
            logical, attribute = name.split(".", 1)
            return self.attributes(logical, attribute)
        return self.ref(name)


def parameter_defaults(template: Mapping[str, Any]) -> dict[str, Any]:
    return {name: spec.get("Default") for name, spec in template.get("Parameters", {}).items()}


def resources_of_type(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def layer_directories(template: Mapping[str, Any], root: Path = ROOT) -> list[Path]:
    """Where the code of each of the template's layers is, as Lambda puts it on sys.path
    (a layer's `python/` folder when it has one, else its ContentUri, which `sam build` fills)."""
    directories = []
    for resource in resources_of_type(template, "AWS::Serverless::LayerVersion").values():
        content = root / resource["Properties"]["ContentUri"]
        directories.append(content / "python" if (content / "python").is_dir() else content)
    return directories
