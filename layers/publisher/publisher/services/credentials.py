"""Destination credentials encrypted with KMS under an encryption context of
(account, site, destination): a ciphertext copied to another site cannot be decrypted."""

from __future__ import annotations

import json
from typing import Any

from publisher.bootstrap import aws_client
from publisher.config import get_settings


class CredentialVault:
    def __init__(self, kms_client: Any = None, key_id: str | None = None) -> None:
        self._kms = kms_client or aws_client("kms")
        self._key_id = key_id or get_settings().credentials_key_id

    @staticmethod
    def _context(account_id: str, site_id: str, destination: str) -> dict[str, str]:
        return {"account_id": account_id, "site_id": site_id, "destination": destination}

    def seal(self, account_id: str, site_id: str, destination: str, secrets: dict[str, Any]) -> bytes:
        reply = self._kms.encrypt(
            KeyId=self._key_id,
            Plaintext=json.dumps(secrets, separators=(",", ":")).encode(),
            EncryptionContext=self._context(account_id, site_id, destination),
        )
        return reply["CiphertextBlob"]

    def open(self, account_id: str, site_id: str, destination: str, ciphertext: bytes) -> dict[str, Any]:
        reply = self._kms.decrypt(
            CiphertextBlob=ciphertext,
            EncryptionContext=self._context(account_id, site_id, destination),
        )
        return json.loads(reply["Plaintext"])
