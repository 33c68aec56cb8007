"""age v1 files (age-encryption.org/v1) through pyrage, a binding of the Rust age crate: X25519
recipients only. Typed wrappers so the rest of sync/ never touches the untyped module."""

from __future__ import annotations

import pyrage

from sync.errors import MalformedError, NotForUsError

AGE_MAGIC = b"age-encryption.org/v1\n"


class AgeIdentity:
    """An X25519 identity (``AGE-SECRET-KEY-1…``) and its recipient (``age1…``)."""

    def __init__(self, identity: object) -> None:
        self._identity = identity

    @classmethod
    def generate(cls) -> AgeIdentity:
        return cls(pyrage.x25519.Identity.generate())

    @classmethod
    def from_str(cls, text: str) -> AgeIdentity:
        try:
            return cls(pyrage.x25519.Identity.from_str(text.strip()))
        except pyrage.IdentityError:
            raise MalformedError("not an age X25519 identity") from None

    def secret_text(self) -> str:
        return str(self._identity)

    @property
    def recipient(self) -> str:
        return str(self._identity.to_public())  # type: ignore[attr-defined]

    def decrypt(self, data: bytes) -> bytes:
        """Plaintext, or NotForUsError when the file is not for this identity or is damaged
        (age cannot tell a wrong recipient from a damaged header, so neither can we)."""
        if not data.startswith(AGE_MAGIC):
            raise MalformedError("not an age-encrypted file")
        try:
            return bytes(pyrage.decrypt(data, [self._identity]))
        except pyrage.DecryptError:
            raise NotForUsError(
                "the file cannot be decrypted with this key: it is addressed to someone else, "
                "truncated or damaged"
            ) from None


def valid_recipient(text: str) -> bool:
    try:
        pyrage.x25519.Recipient.from_str(text)
    except pyrage.RecipientError:
        return False
    return True


def encrypt(data: bytes, recipient: str) -> bytes:
    try:
        target = pyrage.x25519.Recipient.from_str(recipient)
    except pyrage.RecipientError:
        raise MalformedError("not an age X25519 recipient") from None
    return bytes(pyrage.encrypt(data, [target]))
