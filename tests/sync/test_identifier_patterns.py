"""Identifiers and clocks are matched whole and in ASCII (issue 14): Python's `$` accepts a
trailing newline, and `\\d` accepts full-width and Arabic-Indic digits, which sort above every
ASCII clock in the merge's string comparison — a forged clock would win every later merge."""

from __future__ import annotations

from typing import Any

import pytest

from storage.records import validate_record_type
from sync.documents import HEX16, HEX32, VILLAGE_RE
from sync.errors import SyncError
from sync.server.district import parse_cursor
from sync.server.prepare import malformed

DEVICE = "0123456789abcdef"
GOOD_HLC = f"1796000000000-000001-{DEVICE}"


def _revision(**changes: Any) -> dict[str, Any]:
    rev: dict[str, Any] = {
        "record_id": "a" * 32,
        "record_type": "child",
        "revision": 1,
        "hlc": GOOD_HLC,
        "device_id": DEVICE,
        "author": "王",
        "deleted": False,
        "base_hlc": None,
        "data": {},
    }
    rev.update(changes)
    return rev


def test_a_well_formed_revision_passes() -> None:
    assert malformed(_revision()) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"record_id": "a" * 32 + "\n"},
        {"record_type": "child\n"},
        {"hlc": GOOD_HLC + "\n"},
        {"hlc": "１７９６000000000-000001-" + DEVICE},  # full-width digits
        {"hlc": "١٧٩٦000000000-000001-" + DEVICE},  # Arabic-Indic digits
        {"base_hlc": "９" * 13 + "-000001-" + DEVICE},
        {"device_id": DEVICE + "\n"},
    ],
)
def test_trailing_newlines_and_other_digits_are_refused(changes: dict[str, Any]) -> None:
    assert malformed(_revision(**changes)) is not None


def test_patterns_match_whole_ascii_strings() -> None:
    assert HEX32.fullmatch("a" * 32) and not HEX32.fullmatch("a" * 32 + "\n")
    assert HEX16.fullmatch(DEVICE) and not HEX16.fullmatch(DEVICE + "\n")
    assert VILLAGE_RE.fullmatch("500119104201")
    assert not VILLAGE_RE.fullmatch("５００119104201")  # full-width digits
    assert not VILLAGE_RE.fullmatch("500119104201\n")


def test_cursors_are_ascii_and_whole() -> None:
    assert parse_cursor("c1.12.3") == (12, 3)
    for bad in ("c1.12.3\n", "c1.１２.3", "c1.12.\udc80"):
        with pytest.raises(SyncError):
            parse_cursor(bad)


def test_record_types_are_whole() -> None:
    validate_record_type("child")
    with pytest.raises(ValueError):
        validate_record_type("child\n")
