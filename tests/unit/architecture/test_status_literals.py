"""The state machines are written once, in publisher/domain/statuses.py: every other module names a
status through its enum or a `Move`, never as a string literal, so the tested table is the running
one. This walks the code (the layer outside domain/, the handlers and the local runner) and fails
on any string literal that spells a status.

Docstrings, dict keys and keyword names are not statuses. Destinations speak their peers'
vocabularies (Ghost's "published"/"draft" are Ghost's statuses, not ours) and are not walked.
"""

from __future__ import annotations

import ast
from pathlib import Path

from publisher.domain.statuses import ContentStatus, DeploymentStatus, RecordStatus, SiteStatus

ROOT = Path(__file__).resolve().parents[3]
LAYER = ROOT / "layers" / "publisher" / "publisher"
WALKED = [
    *(
        path
        for path in LAYER.rglob("*.py")
        if path.relative_to(LAYER).parts[0] not in {"domain", "destinations"}
    ),
    *(ROOT / "functions").rglob("*.py"),
    *(ROOT / "local").rglob("*.py"),
]
STATUS_VALUES = {
    member.value
    for machine in (ContentStatus, SiteStatus, RecordStatus, DeploymentStatus)
    for member in machine
}
NOT_STATUSES = {
    ("api/routes/publishing.py", "publishing"): "the OpenAPI tag of the publishing routes",
}


def _literals(tree: ast.AST) -> list[tuple[int, str]]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skipped.add(id(node.value))  # attribute docstrings
        if isinstance(node, ast.Dict):
            skipped.update(id(key) for key in node.keys if key is not None)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped
    ]


def _offences(path: Path) -> list[str]:
    name = str(path.relative_to(LAYER)) if path.is_relative_to(LAYER) else str(path.relative_to(ROOT))
    return [
        f"{name}:{line}: {value!r}"
        for line, value in _literals(ast.parse(path.read_text(), str(path)))
        if value in STATUS_VALUES and (name, value) not in NOT_STATUSES
    ]


def test_given_the_code_outside_domain_then_no_status_is_spelled_as_a_literal():
    assert len(WALKED) > 40
    offences = [offence for path in WALKED for offence in _offences(path)]
    assert offences == [], "name statuses through publisher.domain.statuses:\n" + "\n".join(offences)


def test_given_a_module_with_a_status_literal_then_the_walk_finds_it(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text('"""Doc: published."""\nCONDITION = {"status": "published"}\nX = {"scheduled": 1}\n')
    found = [value for _, value in _literals(ast.parse(module.read_text())) if value in STATUS_VALUES]
    assert found == ["published"]
