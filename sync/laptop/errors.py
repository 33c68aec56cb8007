"""The laptop's sync errors beyond :mod:`sync.errors` (the GUI and the command line tell them
apart to say what to do next)."""

from __future__ import annotations

from sync.errors import SyncError


class TransientError(SyncError):
    """The server or the network failed in a way worth retrying (connection, 5xx, 429)."""

    code = "unavailable"


class NotEnrolledError(SyncError):
    code = "not_enrolled"


class UnverifiedRevocationError(TransientError):
    """The server said this laptop is revoked but did not prove it with the district's signed
    notice: nothing is changed, and sync is tried again later like after a network failure."""

    def __init__(self) -> None:
        super().__init__("the server refused this device as revoked without a signed notice")
