"""Cold-start budget: import time of each function's handler module in a fresh process
(median of several runs, bytecode already compiled) beside a bare `import boto3`.

Prints a table; numbers are ratios to the boto3 baseline so they compare across machines.
"""

from __future__ import annotations

import os
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
start = time.perf_counter()
{body}
print(time.perf_counter() - start)
"""


def measure(body: str) -> float:
    code = TIMER.format(body=body)
    subprocess.run([sys.executable, "-c", code], env=ENV, check=True, capture_output=True)  # compile
    samples = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", code], env=ENV, check=True, capture_output=True, text=True
        )
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def handler_import(path: Path) -> str:
    return (
        f"spec = importlib.util.spec_from_file_location('app', {str(path)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['app'] = module\n"
        "spec.loader.exec_module(module)"
    )


def main() -> None:
    baseline = measure("import boto3")
    print(f"import time, median of {RUNS} fresh processes (compiled bytecode)")
    print(f"{'function':42} {'ms':>8} {'x boto3':>8}")
    print(f"{'(baseline) import boto3':42} {baseline * 1000:8.1f} {1.0:8.2f}")
    functions = resources_of_type(load_template(), "AWS::Serverless::Function")
    for logical_id, resource in sorted(functions.items()):
        path = ROOT / resource["Properties"]["CodeUri"] / "app.py"
        seconds = measure(handler_import(path))
        print(f"{logical_id:42} {seconds * 1000:8.1f} {seconds / baseline:8.2f}")


if __name__ == "__main__":
    main()
