"""A software authenticator for the tests: it answers navigator.credentials.create() and .get()
as a platform authenticator would (attestation "none", ES256), so that every check of the server
can be tried with a crafted answer: another origin, another site (rp id), no user verification,
a counter going back."""

import hashlib
import json
import os
import struct
from base64 import urlsafe_b64encode

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
ORIGIN = "http://localhost:8000"
RP_ID = "localhost"


def b64(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftAuthenticator:
    def __init__(self, *, sign_count: int = 0, counts: bool = True):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = sign_count
        self.counts = counts  # False: a synced passkey that keeps no counter (always 0)
        self.user_handle = b""

    def clone(self) -> "SoftAuthenticator":
        """A copy of the same key with the counter as it is now (it then goes its own way)."""
        twin = SoftAuthenticator.__new__(SoftAuthenticator)
        twin.__dict__.update(self.__dict__)
        return twin

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def register(self, options: dict, *, origin: str = ORIGIN, rp_id: str | None = None, uv: bool = True) -> dict:
        rp_id = rp_id or options["rp"]["id"]
        self.user_handle = _unb64(options["user"]["id"])
        flags = UP | AT | (UV if uv else 0)
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self.cose_key()
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.sign_count) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {"clientDataJSON": b64(client_data), "attestationObject": b64(attestation), "transports": ["internal"]},
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def sign(
        self, options: dict, *, origin: str = ORIGIN, rp_id: str | None = None, uv: bool = True,
        sign_count: int | None = None,
    ) -> dict:
        rp_id = rp_id or options.get("rpId") or RP_ID
        if sign_count is None:
            if self.counts:
                self.sign_count += 1
            sign_count = self.sign_count if self.counts else 0
        flags = UP | (UV if uv else 0)
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
                "userHandle": b64(self.user_handle),
            },
            "clientExtensionResults": {},
        }


def _unb64(value: str) -> bytes:
    from base64 import urlsafe_b64decode

    return urlsafe_b64decode(value + "=" * (-len(value) % 4))
