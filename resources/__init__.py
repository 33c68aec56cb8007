"""The one place that resolves paths to bundled resources.

Fonts, questionnaires, translations and word lists live in this folder. From source it is the
folder of this file; in a frozen (PyInstaller) build it is ``resources/`` under the bundle root
(``sys._MEIPASS``). Every layer asks here, so the same code runs from source and frozen.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_root() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. ``resource_path("questionnaires", "x.json")``."""
    path = resources_root().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"bundled resource missing: {'/'.join(parts)}")
    return path
