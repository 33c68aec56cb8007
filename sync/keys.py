"""Keys of the two actors (docs/sync-protocol.md §1): each has an Ed25519 signing key and an
X25519 identity in the age format. The district's are kept in a keystore file encrypted under
the operator passphrase (Argon2id + AES-256-GCM); a device's are kept in its vault."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from storage.atomic_file import write_atomic
from storage.crypto import NONCE_BYTES, KdfParams, calibrate_kdf, derive_key
from sync.agefile import AgeIdentity
from sync.errors import MalformedError, PassphraseError
from sync.wire import b64d, b64e, key_id, load_public, public_raw, utc_now

KEYSTORE_FORMAT = "childdesk-district-keys"
KEYSTORE_AAD = b"childdesk-district-keys-v1"


def _private_raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _load_private(raw: bytes) -> Ed25519PrivateKey:
    if len(raw) != 32:
        raise MalformedError("an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


@dataclass(frozen=True)
class PublicKeys:
    """What the other side pins: a signing key and an age recipient."""

    signing_public: bytes
    age_recipient: str

    @property
    def key_id(self) -> str:
        return key_id(self.signing_public)

    def verifier(self) -> Ed25519PublicKey:
        return load_public(self.signing_public)

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "signing_public": b64e(self.signing_public),
            "age_recipient": self.age_recipient,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PublicKeys:
        recipient = data.get("age_recipient")
        if not isinstance(recipient, str) or not recipient.startswith("age1"):
            raise MalformedError("no age recipient")
        raw = b64d(data.get("signing_public"), "the signing key")
        load_public(raw)
        return cls(raw, recipient)


@dataclass(frozen=True)
class KeyPair:
    """Private keys of one actor (a device or the district)."""

    signing: Ed25519PrivateKey
    identity: AgeIdentity

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(Ed25519PrivateKey.generate(), AgeIdentity.generate())

    @property
    def public(self) -> PublicKeys:
        return PublicKeys(public_raw(self.signing.public_key()), self.identity.recipient)

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def secret_json(self) -> dict[str, Any]:
        return {
            "age_identity": self.identity.secret_text(),
            "signing_key": b64e(_private_raw(self.signing)),
        }

    @classmethod
    def from_secret_json(cls, data: dict[str, Any]) -> KeyPair:
        identity = data.get("age_identity")
        if not isinstance(identity, str):
            raise MalformedError("no age identity")
        return cls(
            _load_private(b64d(data.get("signing_key"), "the signing key")),
            AgeIdentity.from_str(identity),
        )


# ----- the district keystore ---------------------------------------------------------------


def write_keystore(
    path: Path, keys: KeyPair, passphrase: str, *, kdf: KdfParams | None = None
) -> None:
    """Encrypt the district's private keys under the operator passphrase (temp → replace)."""
    params = kdf or calibrate_kdf()
    kek = derive_key(passphrase.encode("utf-8"), params)
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(keys.secret_json()).encode()
    sealed = AESGCM(kek).encrypt(nonce, plaintext, KEYSTORE_AAD)
    public = keys.public
    document = {
        "format": KEYSTORE_FORMAT,
        "version": 1,
        "district_id": public.key_id,
        "signing_public": b64e(public.signing_public),
        "age_recipient": public.age_recipient,
        "created": utc_now(),
        "kdf": params.to_json(),
        "nonce": b64e(nonce),
        "ciphertext": b64e(sealed),
    }
    write_atomic(path, (json.dumps(document, indent=1) + "\n").encode())
    path.chmod(0o600)


def _read_keystore_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MalformedError(
            f"no district keys in {path.parent}; run 'childdesk-district init' first"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise MalformedError(f"the district key file {path} is damaged") from None
    if not isinstance(data, dict) or data.get("format") != KEYSTORE_FORMAT:
        raise MalformedError(f"{path} is not a district key file")
    if data.get("version") != 1:
        raise MalformedError(f"{path} was written by a newer version; update the program")
    return data


def read_public_keys(path: Path) -> PublicKeys:
    """The district's public keys, without the passphrase."""
    return PublicKeys.from_json(_read_keystore_json(path))


def read_keystore(path: Path, passphrase: str) -> KeyPair:
    data = _read_keystore_json(path)
    try:
        params = KdfParams.from_json(data["kdf"])
        nonce = b64d(data["nonce"], "nonce")
        sealed = b64d(data["ciphertext"], "ciphertext")
    except (KeyError, TypeError, ValueError):
        raise MalformedError(f"the district key file {path} is damaged") from None
    kek = derive_key(passphrase.encode("utf-8"), params)
    try:
        plaintext = AESGCM(kek).decrypt(nonce, sealed, KEYSTORE_AAD)
    except InvalidTag:
        raise PassphraseError("wrong operator passphrase") from None
    keys = KeyPair.from_secret_json(json.loads(plaintext))
    if keys.key_id != data.get("district_id"):
        raise MalformedError(f"the district key file {path} does not match its public keys")
    return keys
