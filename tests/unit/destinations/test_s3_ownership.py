"""The S3 adapter writes and deletes only under its own prefix, and deletes only pages it wrote
(those in its manifest): a record naming a foreign key can never make it remove that object."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from publisher.destinations.base import Article, PermanentDestinationError
from publisher.destinations.s3 import S3Destination

BUCKET = "publisher-site-own"
CONFIG = {"bucket": BUCKET, "prefix": "blog/", "public_base_url": "https://www.example.com/blog/"}
ARTICLE = Article(content_id="01JC", slug="hello", title="Hello", html="<p>x</p>", content_hash="h1")
FOREIGN = "blog/handmade/index.html"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        client.put_object(Bucket=BUCKET, Key=FOREIGN, Body=b"not ours")
        yield client


def keys(s3: Any) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_given_a_page_key_publisher_did_not_write_then_retract_refuses_and_keeps_it(s3: Any) -> None:
    destination = S3Destination(CONFIG, s3_client=s3)
    destination.create(ARTICLE)

    with pytest.raises(PermanentDestinationError, match="not a page this S3 integration published"):
        destination.retract(FOREIGN)

    assert FOREIGN in keys(s3)


def test_given_a_foreign_known_id_when_publishing_then_the_foreign_page_stays(s3: Any) -> None:
    """What the worker does for a content whose record was made by POST naming a foreign page."""
    post = S3Destination(CONFIG, s3_client=s3).publish(ARTICLE, known_external_id=FOREIGN)

    assert post.external_id == "blog/hello/index.html"
    assert s3.get_object(Bucket=BUCKET, Key=FOREIGN)["Body"].read() == b"not ours"


def test_given_its_own_page_then_a_move_and_a_retraction_still_delete_it(s3: Any) -> None:
    destination = S3Destination(CONFIG, s3_client=s3)
    first = destination.create(ARTICLE)

    moved = destination.update(first.external_id, replace(ARTICLE, slug="hello-again"))
    destination.retract(moved.external_id)

    assert keys(s3) == {FOREIGN, "blog/index.html", "blog/_publisher/index.json"}


@pytest.mark.parametrize("slug", ["../escape", "a/b", "..", "_publisher", ""])
def test_given_a_slug_that_would_leave_its_folder_then_nothing_is_written(s3: Any, slug: str) -> None:
    with pytest.raises(PermanentDestinationError, match="slug"):
        S3Destination(CONFIG, s3_client=s3).create(replace(ARTICLE, slug=slug))

    assert keys(s3) == {FOREIGN}
