"""AWS clients, built once per cold start, lazily (botocore honours AWS_ENDPOINT_URL: moto locally
and in tests). The lowest layer, so adapters and services share the same clients."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _session() -> Any:
    """One botocore session per process, as boto3's default session was."""
    import botocore.session

    return botocore.session.get_session()


@cache
def aws_client(service: str) -> Any:
    """A botocore client for `service`, one per process. botocore alone: `import boto3` would add
    its resources and s3transfer (a third of its import time, issue 16), which no call here uses."""
    return _session().create_client(service)
