"""Vault commands: init, verify, passwd, recover."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Filled in with the vault (issue: foundation and the encrypted vault)."""
