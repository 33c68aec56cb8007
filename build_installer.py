"""Builds the installer for child directors' laptops.

STUB until the installer issue ("The installer: build_installer.py"): it will make a one-folder
PyInstaller build from a spec that reads the name and version from pyproject.toml, bundle
resources/, run the built app's --smoke-test and, on Windows, wrap it in a per-user installer.
Running it now says so and exits with status 2, so nobody mistakes it for a working build.
"""

from __future__ import annotations

import sys


def main() -> int:
    print(
        "build_installer.py is a stub: the installer is built in a later issue "
        "(see docs/architecture.md).",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
