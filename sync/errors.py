"""Why a sync document or request was refused: a stable code (in the protocol) and an English
message (command line, logs, HTTP). Messages never contain personal data."""

from __future__ import annotations


class SyncError(Exception):
    """Base class. ``code`` is one of the protocol's error codes (docs/sync-protocol.md §13)."""

    code = "malformed"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class MalformedError(SyncError):
    code = "malformed"


class TooLargeError(SyncError):
    code = "too_large"
    http_status = 413


class NotForUsError(SyncError):
    code = "not_for_this_district"


class UnsupportedProtocolError(SyncError):
    code = "unsupported_protocol"


class BadSignatureError(SyncError):
    code = "bad_signature"


class TamperedError(SyncError):
    code = "tampered"


class UnknownDeviceError(SyncError):
    code = "unknown_device"
    http_status = 403


class RevokedError(SyncError):
    code = "device_revoked"
    http_status = 403


class ReusedIdError(SyncError):
    code = "batch_id_reused"
    http_status = 409


class EnrollmentRefusedError(SyncError):
    code = "code_invalid"
    http_status = 403


class TooManyAttemptsError(SyncError):
    code = "too_many_attempts"
    http_status = 429


class PassphraseError(SyncError):
    code = "wrong_passphrase"
