"""The README's "Publish your first article" walkthrough, step by step, against
`python -m local start --demo --no-schedules` in a subprocess: a token from `python -m local token`,
the demo content through the API, publish now, the runner's SQS poller runs the worker, and the
page is fetched over HTTP from the runner's moto S3 (path style, SigV4-signed like
`curl --aws-sigv4`, because the demo bucket, like any S3 bucket, is private)."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support.local_runner import LocalRunner, local_token, running_local, wait_until

DEMO_ACCOUNT = "demo-account"
DEMO_BUCKET = "publisher-site-demo"
ARTICLE = "Welcome to Publisher"
ARTICLE_TEXT = "Approved content goes out on the site's schedule, exactly once."
LOCAL_CREDENTIALS = Credentials("testing", "testing")  # what the runner's moto takes; nothing secret
REGION = "us-east-1"


@pytest.fixture(scope="module")
def demo() -> Iterator[LocalRunner]:
    with running_local("--demo", "--no-schedules") as runner:
        runner.wait_for_log("export TOKEN=", timeout=60)  # the seed is done; the try-it lines follow
        yield runner


@pytest.fixture(scope="module")
def token(demo: LocalRunner) -> str:
    return local_token(DEMO_ACCOUNT)


def s3_get(runner: LocalRunner, key: str) -> requests.Response:
    """GET http://127.0.0.1:<moto>/<bucket>/<key>, signed as `curl --aws-sigv4 "aws:amz:us-east-1:s3"
    -u testing:testing` signs it."""
    url = f"{runner.moto_url}/{DEMO_BUCKET}/{key}"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(LOCAL_CREDENTIALS, "s3", REGION).add_auth(request)
    return requests.get(url, headers=dict(request.headers), timeout=30)


def publish_status(runner: LocalRunner, token: str, content_id: str) -> dict[str, Any]:
    reply = runner.call("GET", f"/api/v1/publisher/publish/status/?content_id={content_id}", token)
    assert reply.status_code == 200, reply.text
    return reply.json()["data"]


@pytest.fixture(scope="module")
def published(demo: LocalRunner, token: str) -> dict[str, Any]:
    """Steps 1-3 of the walkthrough: find the article, publish it now, wait until it is published."""
    listed = demo.call("GET", "/api/v1/content/?limit=50", token)
    assert listed.status_code == 200, listed.text
    (article,) = [item for item in listed.json()["data"] if item["title"] == ARTICLE]
    assert article["site_status"] == "scheduled"  # the demo put it in a future slot

    accepted = demo.call("POST", "/api/v1/publisher/publish/", token, json={"content_id": article["id"]})

    assert accepted.status_code == 202, accepted.text
    assert [(item["destination"], item["status"]) for item in accepted.json()["data"]["records"]] == [
        ("s3", "pending")
    ]
    status = wait_until(
        lambda: (found := publish_status(demo, token, article["id"]))["site_status"] == "published" and found,
        "the worker to publish the demo article",
        timeout=60,
        every=0.25,
    )
    return {"article": article, "status": status}


def test_given_the_demo_when_its_article_is_published_now_then_the_record_names_the_page(
    published: dict[str, Any],
) -> None:
    slug = published["article"]["slug"]
    (record,) = published["status"]["records"]

    assert (record["destination"], record["status"], record["attempts"]) == ("s3", "published", 1)
    assert record["external_id"] == f"{slug}/index.html"
    assert record["external_url"].endswith(f"/{DEMO_BUCKET}/{slug}/")


def test_given_the_published_article_when_its_page_is_fetched_from_moto_then_it_has_title_and_body(
    demo: LocalRunner, published: dict[str, Any]
) -> None:
    page = s3_get(demo, f"{published['article']['slug']}/index.html")

    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f"<title>{ARTICLE}</title>" in page.text
    assert f"<h1>{ARTICLE}</h1>" in page.text
    assert f"<p>{ARTICLE_TEXT}</p>" in page.text


def test_given_the_published_article_when_the_index_page_is_fetched_then_it_links_to_it(
    demo: LocalRunner, published: dict[str, Any]
) -> None:
    index = s3_get(demo, "index.html")

    assert index.status_code == 200
    assert f'<a href="{published["article"]["slug"]}/">{ARTICLE}</a>' in index.text
    assert escape(ARTICLE_TEXT) in index.text  # the excerpt under the link
    assert "How slots work" not in index.text  # still scheduled, so not on the site yet
