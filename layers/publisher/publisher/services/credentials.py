"""Destination credentials encrypted with KMS under an encryption context of
(account, site, destination): a ciphertext copied to another site cannot be decrypted.

A vault keeps what it opened for a bounded time (CACHE_SECONDS), keyed by the integration and the
digest of its ciphertext: the stored ciphertext is the credentials' version, so credentials saved
again (a new ciphertext) are decrypted at their first use. The worker holds one vault per warm
container (one Decrypt per integration every few minutes, not one per message); a failed Decrypt
caches nothing, and `forget` drops an integration's entry (the worker calls it when a destination
refuses a publication, so the next message decrypts again).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from publisher.bootstrap import aws_client
from publisher.config import get_settings

CACHE_SECONDS = 300.0
"""How long opened credentials are reused without asking KMS again."""
MAX_CACHED = 256
"""Integrations a vault keeps opened at most (the oldest entry goes first)."""


class CredentialVault:
    def __init__(
        self, kms_client: Any = None, key_id: str | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._kms_client = kms_client
        self._key_id = key_id
        self._clock = clock
        self._opened: dict[tuple[str, str, str, str], tuple[float, dict[str, Any]]] = {}
        """(account, site, destination, ciphertext digest) → (expires at on `clock`, secrets)."""

    @property
    def _kms(self) -> Any:
        return self._kms_client or aws_client("kms")

    @staticmethod
    def _context(account_id: str, site_id: str, destination: str) -> dict[str, str]:
        return {"account_id": account_id, "site_id": site_id, "destination": destination}

    def seal(self, account_id: str, site_id: str, destination: str, secrets: dict[str, Any]) -> bytes:
        reply = self._kms.encrypt(
            KeyId=self._key_id or get_settings().credentials_key_id,
            Plaintext=json.dumps(secrets, separators=(",", ":")).encode(),
            EncryptionContext=self._context(account_id, site_id, destination),
        )
        return reply["CiphertextBlob"]

    def open(self, account_id: str, site_id: str, destination: str, ciphertext: bytes) -> dict[str, Any]:
        key = (account_id, site_id, destination, hashlib.sha256(ciphertext).hexdigest())
        now = self._clock()
        cached = self._opened.get(key)
        if cached is not None and now < cached[0]:
            return dict(cached[1])
        reply = self._kms.decrypt(
            CiphertextBlob=ciphertext,
            EncryptionContext=self._context(account_id, site_id, destination),
        )
        secrets = json.loads(reply["Plaintext"])
        self.forget(account_id, site_id, destination)  # an older version is of no further use
        while len(self._opened) >= MAX_CACHED:
            del self._opened[next(iter(self._opened))]
        self._opened[key] = (now + CACHE_SECONDS, secrets)
        return dict(secrets)

    def forget(self, account_id: str, site_id: str, destination: str) -> None:
        """Drop the integration's opened credentials: the next use decrypts again."""
        for key in [key for key in self._opened if key[:3] == (account_id, site_id, destination)]:
            del self._opened[key]
