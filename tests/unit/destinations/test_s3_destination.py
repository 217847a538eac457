"""The S3 static-site adapter on moto: pages, the index, moves, retraction, concurrency, errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from publisher.destinations.base import Article, PermanentDestinationError, RetryableDestinationError
from publisher.destinations.s3 import S3Destination, s3_errors

BUCKET = "site-bucket"
CONFIG = {"bucket": BUCKET, "prefix": "blog", "public_base_url": "https://www.example.com/blog/"}
ARTICLE = Article(
    content_id="01JCONTENT",
    slug="hello-world",
    title='Cats & "Dogs" <3',
    html='<p>Hi <a href="https://example.com/">there</a></p><script>alert(1)</script>',
    excerpt="A <tale> of two pets",
    content_hash="hash-1",
    featured_image_url="https://cdn.example.com/a.png?x=1&y=2",
)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def read(client: Any, key: str) -> str:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()


def manifest(client: Any) -> dict[str, Any]:
    return json.loads(read(client, "blog/_publisher/index.json"))["pages"]


def test_given_a_new_article_when_published_then_its_page_is_written_with_type_and_metadata(s3: Any) -> None:
    post = S3Destination(CONFIG, s3_client=s3).publish(ARTICLE)

    assert post.external_id == "blog/hello-world/index.html"
    assert post.external_url == "https://www.example.com/blog/hello-world/"
    obj = s3.get_object(Bucket=BUCKET, Key=post.external_id)
    assert obj["ContentType"] == "text/html; charset=utf-8"
    assert obj["Metadata"] == {"content-id": "01JCONTENT", "content-hash": "hash-1"}


def test_given_a_published_page_then_every_value_is_escaped_and_the_body_has_no_script(s3: Any) -> None:
    S3Destination(CONFIG, s3_client=s3).create(ARTICLE)

    page = read(s3, "blog/hello-world/index.html")

    assert "<title>Cats &amp; &quot;Dogs&quot; &lt;3</title>" in page
    assert '<meta name="description" content="A &lt;tale&gt; of two pets">' in page
    assert '<link rel="canonical" href="https://www.example.com/blog/hello-world/">' in page
    assert '<img class="featured" src="https://cdn.example.com/a.png?x=1&amp;y=2" alt="">' in page
    assert '<a href="https://example.com/" rel="noopener noreferrer">there</a>' in page
    assert "<script" not in page


def test_given_a_canonical_url_on_the_article_then_the_page_points_to_it(s3: Any) -> None:
    S3Destination(CONFIG, s3_client=s3).create(
        replace(ARTICLE, canonical_url="https://origin.example.com/p/")
    )

    assert '<link rel="canonical" href="https://origin.example.com/p/">' in read(
        s3, "blog/hello-world/index.html"
    )


def test_given_a_published_page_then_find_by_slug_finds_it_and_publish_updates_it_in_place(s3: Any) -> None:
    destination = S3Destination(CONFIG, s3_client=s3)
    destination.publish(ARTICLE)

    found = destination.find_by_slug("hello-world")
    again = destination.publish(replace(ARTICLE, title="New title", content_hash="hash-2"))

    assert found is not None and found.external_id == "blog/hello-world/index.html"
    assert found.metadata == {"content_hash": "hash-1"}
    assert again.external_id == found.external_id
    assert "<h1>New title</h1>" in read(s3, found.external_id)
    assert list(manifest(s3)) == [found.external_id]
    assert destination.find_by_slug("never-published") is None


def test_given_several_pages_then_the_index_lists_them_newest_first_with_relative_links(s3: Any) -> None:
    times = iter([1_000.0, 2_000.0, 3_000.0])
    destination = S3Destination(CONFIG, s3_client=s3, clock=lambda: next(times))

    destination.create(replace(ARTICLE, slug="first", title="First"))
    destination.create(replace(ARTICLE, slug="second", title="Second <b>"))
    destination.update("blog/first/index.html", replace(ARTICLE, slug="first", title="First, edited"))

    index = read(s3, "blog/index.html")
    assert index.index('href="second/"') < index.index('href="first/"')
    assert ">Second &lt;b&gt;</a>" in index
    assert ">First, edited</a>" in index
    assert manifest(s3)["blog/first/index.html"]["published_at"] == "1970-01-01T00:16:40+00:00"


def test_given_a_changed_slug_when_updated_then_the_page_moves_and_the_old_one_is_gone(s3: Any) -> None:
    destination = S3Destination(CONFIG, s3_client=s3)
    old = destination.create(ARTICLE)

    moved = destination.update(old.external_id, replace(ARTICLE, slug="hello-again"))

    assert moved.external_id == "blog/hello-again/index.html"
    assert destination.find_by_slug("hello-world") is None
    assert list(manifest(s3)) == ["blog/hello-again/index.html"]
    assert 'href="hello-world/"' not in read(s3, "blog/index.html")


def test_given_a_published_page_when_retracted_then_it_is_deleted_and_leaves_the_index(s3: Any) -> None:
    destination = S3Destination(CONFIG, s3_client=s3)
    kept = destination.create(replace(ARTICLE, slug="kept", title="Kept"))
    gone = destination.create(ARTICLE)

    destination.retract(gone.external_id)

    assert destination.find_by_slug("hello-world") is None
    assert list(manifest(s3)) == [kept.external_id]
    index = read(s3, "blog/index.html")
    assert 'href="kept/"' in index and "hello-world" not in index


@pytest.mark.parametrize(
    "key", ["blog/_publisher/index.json", "blog/index.html", "other/x/index.html", "blog/a/b/index.html"]
)
def test_given_a_key_that_is_not_one_of_our_pages_then_retract_refuses_to_delete_it(
    s3: Any, key: str
) -> None:
    destination = S3Destination(CONFIG, s3_client=s3)
    destination.create(ARTICLE)

    with pytest.raises(PermanentDestinationError, match="is not a page this S3 integration published"):
        destination.retract(key)

    assert manifest(s3)  # the manifest is still there


def test_given_a_concurrent_writer_between_read_and_write_then_both_pages_end_in_the_index(s3: Any) -> None:
    """The other worker publishes right before our manifest write: If-Match fails, we re-read."""
    ours = S3Destination(CONFIG, s3_client=s3)
    theirs = S3Destination(CONFIG, s3_client=boto3.client("s3"))
    theirs.create(replace(ARTICLE, slug="existing"))
    interleaved: list[str] = []

    def other_worker_publishes(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key") == "blog/_publisher/index.json" and not interleaved:
            interleaved.append("theirs")
            theirs.create(replace(ARTICLE, slug="theirs", title="Theirs"))

    s3.meta.events.register("before-parameter-build.s3.PutObject", other_worker_publishes)

    ours.create(replace(ARTICLE, slug="ours", title="Ours"))

    assert interleaved == ["theirs"]
    assert sorted(manifest(s3)) == [
        "blog/existing/index.html",
        "blog/ours/index.html",
        "blog/theirs/index.html",
    ]
    index = read(s3, "blog/index.html")
    assert all(f'href="{slug}/"' in index for slug in ("existing", "ours", "theirs"))


def test_given_the_bucket_exists_then_verify_is_ok(s3: Any) -> None:
    verification = S3Destination(CONFIG, s3_client=s3).verify()

    assert verification.ok
    assert BUCKET in verification.message


def test_given_a_missing_bucket_then_verify_says_so_and_publishing_is_permanent(s3: Any) -> None:
    destination = S3Destination({**CONFIG, "bucket": "no-such-bucket"}, s3_client=s3)

    verification = destination.verify()

    assert not verification.ok
    assert verification.message == "The bucket no-such-bucket does not exist."
    with pytest.raises(PermanentDestinationError, match="the bucket no-such-bucket does not exist"):
        destination.create(ARTICLE)


def test_given_no_public_base_url_then_verify_explains_the_missing_config(s3: Any) -> None:
    verification = S3Destination({"bucket": BUCKET}, s3_client=s3).verify()

    assert not verification.ok and "public_base_url" in verification.message


def test_given_no_client_then_one_is_built_from_the_environment(s3: Any) -> None:
    destination = S3Destination({**CONFIG, "prefix": ""})

    post = destination.create(ARTICLE)

    assert post.external_id == "hello-world/index.html"
    assert s3.head_object(Bucket=BUCKET, Key="index.html")["ContentType"] == "text/html; charset=utf-8"


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


@pytest.mark.parametrize(
    ("code", "status", "kind", "text"),
    [
        ("SlowDown", 503, RetryableDestinationError, "S3 is busy (SlowDown)"),
        ("InternalError", 500, RetryableDestinationError, "S3 is busy"),
        ("AccessDenied", 403, PermanentDestinationError, "may not use the bucket site-bucket"),
        ("NoSuchBucket", 404, PermanentDestinationError, "does not exist"),
        ("InvalidArgument", 400, PermanentDestinationError, "S3 refused the request (InvalidArgument)"),
    ],
)
def test_s3_errors_map_to_typed_errors(code: str, status: int, kind: type[Exception], text: str) -> None:
    with (
        pytest.raises(kind, match=rf"^Writing the page failed: .*{re.escape(text)}"),
        s3_errors("Writing the page", BUCKET),
    ):
        raise client_error(code, status)
