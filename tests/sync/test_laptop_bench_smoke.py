"""bench/device_sync.py stays runnable (a small run; the targets are checked by the benchmark
itself, figures in docs/performance.md).

The script runs in the test process as ``python bench/device_sync.py`` would run it (issue 15:
a separate interpreter paid ~1 CPU-s of start and imports): as ``__main__`` with its own
``sys.argv``, its standard output captured; ``sys.path`` (which the script extends) and
``sys.argv`` are put back after. The project is installed editable in the venv, so a separate
process found our packages the same way."""

from __future__ import annotations

import contextlib
import io
import json
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "device_sync.py"


def test_device_sync_benchmark_prints_its_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [str(BENCH), "--children", "5", "--revisions", "60"])
    monkeypatch.setattr(sys, "path", list(sys.path))
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        runpy.run_path(str(BENCH), run_name="__main__")
    figures = json.loads(output.getvalue())
    assert figures["export_revisions"] == 60
    assert figures["lost"] == 0 and figures["duplicates"] == 0
    assert figures["first_sync_200_children_ms"] > 0
