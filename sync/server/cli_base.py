"""The shared parts of ``childdesk-district``'s commands (sync/district_cli.py): the error a
user can cause, the data folder, the operator passphrase and the :class:`Context` that opens the
district (keys and database)."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

from storage.gc_pause import imports_paused
from sync.keys import KeyPair, read_keystore, read_public_keys

KEYSTORE_NAME = "district-keys.json"
DB_NAME = "district.db"
MIN_PASSPHRASE = 12
DURATION_RE = re.compile(r"([0-9]{1,5})([mhdw])")  # fullmatch, ASCII digits
log = logging.getLogger("childdesk.district.cli")
UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_DEFINITION_BYTES = 1024 * 1024  # publish: the bundled definitions are a few KiB


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def default_data_dir() -> Path:
    env = os.environ.get("CHILDDESK_DISTRICT_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path("childdesk-district", appauthor=False)


def parse_duration(text: str) -> int:
    match = DURATION_RE.fullmatch(text.strip())
    if not match:
        raise CliError(f"{text!r} is not a duration like 30m, 12h, 7d or 2w")
    return int(match.group(1)) * UNITS[match.group(2)]


def _read_passphrase(args: argparse.Namespace, *, confirm: bool = False) -> str:
    if args.passphrase_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CliError("no passphrase on standard input", 2)
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask for the passphrase; use --passphrase-stdin", 2)
    first = getpass.getpass("Operator passphrase: ")
    if confirm and getpass.getpass("Again: ") != first:
        raise CliError("the two passphrases differ", 2)
    return first


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
        self.keystore = self.data_dir / KEYSTORE_NAME
        self.db_url = (
            args.db
            or os.environ.get("CHILDDESK_DISTRICT_DB")
            or f"sqlite:///{self.data_dir / DB_NAME}"
        )

    def district(self, *, with_keys: bool) -> Any:
        with imports_paused():
            from sqlalchemy.exc import SQLAlchemyError

            from sync.server import db
            from sync.server.district import District, Limits

        public = read_public_keys(self.keystore)
        keys: KeyPair | None = None
        if with_keys:
            keys = read_keystore(self.keystore, _read_passphrase(self.args))
        try:
            engine = db.make_engine(self.db_url)
            db.migrate(engine)
        except SQLAlchemyError as err:
            raise CliError(f"cannot open the database ({type(err).__name__})", 2) from None
        max_mb = getattr(self.args, "max_batch_mb", None)
        limits = Limits(max_batch_bytes=int(max_mb * 1024 * 1024)) if max_mb else Limits()
        return District(engine, public, keys, limits)
