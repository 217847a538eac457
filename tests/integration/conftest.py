"""Fixtures every integration module shares: the account owner's token and a site of theirs."""

from __future__ import annotations

import pytest

from tests.integration.publishing_support import webhook_integration
from tests.integration.scheduling_support import create_site
from tests.support.fixtures import token


@pytest.fixture
def owner(aws) -> str:
    """A token of the owner of account acct-1."""
    return token("acct-1", "owner")


@pytest.fixture
def site(owner) -> dict:
    """A site of acct-1, created through the API."""
    return create_site(owner, url="https://garden.example.com")


@pytest.fixture
def webhook_site(site) -> dict:
    """The site with a webhook integration (tests of our logic hand in a fake destination for it)."""
    webhook_integration(site["id"])
    return site
