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
    """A site of acct-1, created through the API, with an enabled webhook integration (content is
    scheduled only on a site that has somewhere to publish to; tests of our logic hand in a fake
    destination for it)."""
    site = create_site(owner, url="https://garden.example.com")
    webhook_integration(site["id"])
    return site


@pytest.fixture
def webhook_site(site) -> dict:
    """The site with its webhook integration (the name says what the test relies on)."""
    return site
