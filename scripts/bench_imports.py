"""Cold-start budget: import time of each function's handler module in a fresh process
(median of several runs, bytecode already compiled) beside a bare `import boto3`.

Times are the import's CPU time (user + system, `time.process_time`), so other work on a busy
machine does not count; numbers are ratios to the boto3 baseline so they compare across machines. The
baseline is measured again beside each function (alternating runs), so a machine whose load
changes during the bench still compares like with like. Then, as evidence, `python -X importtime`
of each function: the modules that cost most, by cumulative time (one run; the tree's top levels).
Goal (issue 16): every function <= 1.5x. `--functions A,B` limits the table; `--top N` the evidence.

The handler modules defer their use case to the first invocation (publisher.api.entry,
publisher.bootstrap.deferred). `--first` adds a column that counts it: the import plus what the
first invocation loads (each deferred use case's `.load()`, no AWS call), so the cold start as a
whole is measured too, not only its import.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "publisher")]

from local.template import load_template, resources_of_type  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
ENV = {
    **os.environ,
    "PYTHONPATH": f"{ROOT / 'layers' / 'publisher'}",
    "STAGE": "bench",
    "SITES_TABLE": "t",
    "UNIQUE_KEYS_TABLE": "t",
    "INTEGRATIONS_TABLE": "t",
    "SETTINGS_TABLE": "t",
    "CONTENT_TABLE": "t",
    "RECORDS_TABLE": "t",
    "DEPLOYMENTS_TABLE": "t",
    "USAGE_TABLE": "t",
    "PUBLISH_QUEUE_URL": "https://sqs.example/q",
    "CREDENTIALS_KEY_ID": "k",
    "EVENT_BUS_NAME": "b",
    "NOTIFICATION_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
    "STATIC_SITE_BUCKET_PREFIX": "publisher-site-",
    "JWT_SECRET": "bench-secret-of-at-least-32-bytes-long",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "publisher",
    "POWERTOOLS_TRACE_DISABLED": "true",
}

TIMER = """
import importlib.util, sys, time
start = time.process_time()
{body}
print(time.process_time() - start)
"""


def _seconds(body: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", TIMER.format(body=body)], env=ENV, check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure(body: str, baseline: str = "import boto3") -> tuple[float, float]:
    """Median seconds of `body` and of `baseline`, each in fresh processes, runs alternating."""
    _seconds(body), _seconds(baseline)  # compile the bytecode first
    samples: list[float] = []
    base: list[float] = []
    for _ in range(RUNS):
        samples.append(_seconds(body))
        base.append(_seconds(baseline))
    return statistics.median(samples), statistics.median(base)


def handler_import(path: Path) -> str:
    return (
        f"spec = importlib.util.spec_from_file_location('app', {str(path)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['app'] = module\n"
        "spec.loader.exec_module(module)"
    )


FIRST_INVOCATION = (
    "for value in list(vars(module).values()):\n"
    "    if not isinstance(value, type(sys)) and callable(getattr(value, 'load', None)):\n"
    "        value.load()"
)
"""What the first invocation loads: every deferred use case of the handler module, without calling it."""


IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def import_tree(body: str) -> list[tuple[int, int, str]]:
    """`python -X importtime` of `body`: (cumulative µs, depth, module) per import, in order."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", TIMER.format(body=body)],
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            rows.append((int(match.group(2)), len(match.group(3)) // 2, match.group(4)))
    return rows


def evidence(body: str, top: int) -> list[str]:
    """The `top` costliest imports by cumulative time, at most two levels under the handler."""
    rows = [row for row in import_tree(body) if row[1] <= 2]
    return [
        f"    {micros / 1000:8.1f} ms  {'  ' * depth}{module}"
        for micros, depth, module in sorted(rows, reverse=True)[:top]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", help="comma-separated logical ids (default: every function)")
    parser.add_argument("--top", type=int, default=8, help="imports listed per function (0: none)")
    parser.add_argument("--first", action="store_true", help="add: import + first invocation")
    args = parser.parse_args()
    functions = resources_of_type(load_template(), "AWS::Serverless::Function")
    wanted = set(args.functions.split(",")) if args.functions else set(functions)
    print(f"import time, median of {RUNS} fresh processes (compiled bytecode), boto3 measured alongside")
    first = f" {'+first ms':>10} {'x boto3':>8}" if args.first else ""
    print(f"{'function':42} {'ms':>8} {'boto3 ms':>9} {'x boto3':>8}{first}")
    bodies = {}
    for logical_id, resource in sorted(functions.items()):
        if logical_id not in wanted:
            continue
        bodies[logical_id] = handler_import(ROOT / resource["Properties"]["CodeUri"] / "app.py")
        seconds, baseline = measure(bodies[logical_id])
        row = f"{logical_id:42} {seconds * 1000:8.1f} {baseline * 1000:9.1f} {seconds / baseline:8.2f}"
        if args.first:
            total, total_baseline = measure(bodies[logical_id] + "\n" + FIRST_INVOCATION)
            row += f" {total * 1000:10.1f} {total / total_baseline:8.2f}"
        print(row)
    if args.top <= 0:
        return
    print(f"\npython -X importtime: the {args.top} costliest imports of each function (cumulative)")
    print("  (baseline) import boto3\n" + "\n".join(evidence("import boto3", 3)))
    for logical_id, body in bodies.items():
        print(f"  {logical_id}")
        print("\n".join(evidence(body, args.top)))
        if args.first:
            print(f"  {logical_id}, import + first invocation")
            print("\n".join(evidence(body + "\n" + FIRST_INVOCATION, args.top)))


if __name__ == "__main__":
    main()
