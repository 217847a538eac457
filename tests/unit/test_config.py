"""Settings fail loudly at cold start when the template's environment is incomplete."""

from __future__ import annotations

import pytest

from publisher.config import ConfigurationError, Settings

FULL = {
    "STAGE": "dev",
    "SITES_TABLE": "s",
    "UNIQUE_KEYS_TABLE": "u",
    "INTEGRATIONS_TABLE": "i",
    "SETTINGS_TABLE": "st",
    "CONTENT_TABLE": "c",
    "RECORDS_TABLE": "r",
    "DEPLOYMENTS_TABLE": "d",
    "USAGE_TABLE": "us",
    "PUBLISH_QUEUE_URL": "q",
    "CREDENTIALS_KEY_ID": "k",
    "EVENT_BUS_NAME": "b",
    "NOTIFICATION_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
    "JWT_SECRET_ARN": "arn:secret",
    "STATIC_SITE_BUCKET_PREFIX": "publisher-site-",
}


@pytest.fixture
def env(monkeypatch):
    for name in [*FULL, "JWT_SECRET", "ALLOW_INSECURE_HTTP"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in FULL.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_a_complete_environment_gives_settings(env):
    settings = Settings.from_env()

    assert (settings.content_table, settings.jwt_secret_arn, settings.allow_insecure_http) == (
        "c",
        "arn:secret",
        False,
    )


@pytest.mark.parametrize("missing", ["CONTENT_TABLE", "PUBLISH_QUEUE_URL", "STAGE"])
def test_a_missing_variable_fails_loudly(env, missing):
    env.delenv(missing)

    with pytest.raises(ConfigurationError, match=missing):
        Settings.from_env()


def test_no_jwt_secret_source_fails_loudly(env):
    env.delenv("JWT_SECRET_ARN")

    with pytest.raises(ConfigurationError, match="JWT_SECRET"):
        Settings.from_env()
