"""AWS clients, built once per cold start, lazily (boto3 honours AWS_ENDPOINT_URL: moto locally
and in tests). The lowest layer, so adapters and services share the same clients."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def aws_client(service: str) -> Any:
    """A boto3 client for `service`, one per process."""
    import boto3

    return boto3.client(service)
