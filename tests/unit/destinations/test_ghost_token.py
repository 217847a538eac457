"""The Ghost Admin API token: what Ghost checks (kid, aud, 5-minute life, hex-decoded key)."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
import requests

from publisher.destinations.base import PermanentDestinationError
from publisher.destinations.ghost import (
    GhostDestination,
    admin_base_url,
    admin_token,
    parse_admin_api_key,
)

KEY_ID = "6489d3b0c6a1f20001a1b2c3"
SECRET_HEX = "5f1e0c7a9b3d4e2f60718293a4b5c6d7e8f90123456789abcdef0123456789ab"
ADMIN_API_KEY = f"{KEY_ID}:{SECRET_HEX}"
NOW = 1_763_700_000


def test_given_a_key_when_a_token_is_made_then_its_header_names_the_key_id_and_hs256() -> None:
    token = admin_token(ADMIN_API_KEY, now=NOW)

    header = jwt.get_unverified_header(token)
    assert header == {"alg": "HS256", "kid": KEY_ID, "typ": "JWT"}


def test_given_a_key_when_a_token_is_made_then_it_is_signed_with_the_hex_decoded_secret() -> None:
    token = admin_token(ADMIN_API_KEY, now=NOW)

    claims = jwt.decode(
        token,
        bytes.fromhex(SECRET_HEX),
        algorithms=["HS256"],
        audience="/admin/",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims == {"iat": NOW, "exp": NOW + 300, "aud": "/admin/"}


def test_given_a_key_when_verified_with_the_secret_text_instead_of_its_bytes_then_the_signature_fails() -> (
    None
):
    token = admin_token(ADMIN_API_KEY, now=NOW)

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            token,
            SECRET_HEX.encode(),
            algorithms=["HS256"],
            audience="/admin/",
            options={"verify_exp": False, "verify_iat": False},
        )


def test_given_a_fresh_token_when_checked_like_ghost_does_then_audience_and_lifetime_hold() -> None:
    now = int(time.time())
    token = admin_token(ADMIN_API_KEY, now=now)

    claims = jwt.decode(token, bytes.fromhex(SECRET_HEX), algorithms=["HS256"], audience="/admin/")
    assert claims["exp"] - claims["iat"] == 5 * 60
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, bytes.fromhex(SECRET_HEX), algorithms=["HS256"], audience="/content/")


@pytest.mark.parametrize(
    "bad_key",
    ["", "no-colon-at-all", f":{SECRET_HEX}", f"{KEY_ID}:", f"{KEY_ID}:not-hex-zz{SECRET_HEX[:10]}"],
)
def test_given_a_malformed_key_when_parsed_then_a_permanent_error_explains_without_echoing_it(
    bad_key: str,
) -> None:
    with pytest.raises(PermanentDestinationError) as caught:
        parse_admin_api_key(bad_key)

    message = str(caught.value)
    assert "'<id>:<secret>'" in message
    assert SECRET_HEX[:10] not in message


@pytest.mark.parametrize(
    "pasted",
    [
        "https://blog.example.com",
        "https://blog.example.com/",
        "https://blog.example.com/ghost/",
        "https://blog.example.com/ghost/api/admin/",
    ],
)
def test_given_any_admin_url_form_users_paste_then_the_site_root_is_used(pasted: str) -> None:
    assert admin_base_url(pasted) == "https://blog.example.com"


def test_given_a_relative_admin_url_then_it_is_refused_as_configuration() -> None:
    with pytest.raises(PermanentDestinationError, match="admin_url"):
        admin_base_url("blog.example.com/ghost")


class RecordingSession(requests.Session):
    """Answers every request with a minimal Ghost reply and records the Authorization header."""

    def __init__(self) -> None:
        super().__init__()
        self.authorizations: list[str | None] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        headers = kwargs.get("headers") or {}
        response = requests.Response()
        response.status_code = 200
        response.url = str(url)
        if "/site/" in str(url):
            body: dict[str, Any] = {"site": {"title": "T", "version": "5.130", "url": "https://x"}}
        else:
            self.authorizations.append(headers.get("Authorization"))
            body = {"posts": []}
        response._content = json.dumps(body).encode()
        return response


class ManualClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _destination(clock: ManualClock, session: RecordingSession) -> GhostDestination:
    return GhostDestination(
        {"admin_url": "https://blog.example.com"},
        {"admin_api_key": ADMIN_API_KEY},
        session=session,
        clock=clock,
    )


def test_given_calls_within_four_minutes_then_one_token_is_reused_with_the_ghost_scheme() -> None:
    clock, session = ManualClock(NOW), RecordingSession()
    destination = _destination(clock, session)

    assert destination.verify().ok
    clock.now = NOW + 239
    assert destination.verify().ok

    first, second = session.authorizations
    assert first is not None and first.startswith("Ghost ")
    assert second == first


def test_given_a_token_with_under_a_minute_left_then_a_new_one_is_made() -> None:
    clock, session = ManualClock(NOW), RecordingSession()
    destination = _destination(clock, session)

    destination.verify()
    clock.now = NOW + 240
    destination.verify()

    first, second = session.authorizations
    assert second != first
    assert second is not None
    claims = jwt.decode(
        second.removeprefix("Ghost "),
        bytes.fromhex(SECRET_HEX),
        algorithms=["HS256"],
        audience="/admin/",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iat"] == NOW + 240
