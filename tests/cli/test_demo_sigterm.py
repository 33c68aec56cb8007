"""``childdesk --demo`` ended by SIGTERM removes its temporary vault (issue 14): the real
program in a real X window (Xvfb), terminated while it prepares the demo data and once its main
window is up."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import childdesk_executable

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb")


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    # Xvfb picks a free display number itself (-displayfd): test workers running in parallel
    # cannot both take the same one, and one worker's teardown cannot stop another's server.
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_end,),
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as chosen:
            number = chosen.readline().strip().decode()
        assert number.isdigit(), "Xvfb did not start"
        _wait(Path(f"/tmp/.X11-unix/X{number}").exists, 15, "Xvfb")
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(10)


def _main_window_up(display: str) -> bool:
    """The demo's main window (large), not the small 正在准备演示数据 one before it."""
    if shutil.which("xdotool") is None:
        return False
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", "演示数据", "getwindowgeometry", "%@"],
        capture_output=True,
        text=True,
        env={**os.environ, "DISPLAY": display},
        check=False,
    )
    return any(int(w) >= 800 for w, _h in re.findall(r"Geometry: (\d+)x(\d+)", found.stdout))


@pytest.mark.parametrize("when", ["preparing", "window_up"])
def test_sigterm_removes_the_demo_vault(display: str, tmp_path: Path, when: str) -> None:
    if when == "window_up" and shutil.which("xdotool") is None:
        pytest.skip("needs xdotool to see the window")
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update({"DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "TMPDIR": str(temp_root)})
    env["HOME"] = str(tmp_path / "home")  # settings of the app land here, not in the real home
    proc = subprocess.Popen(
        [childdesk_executable(), "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait(lambda: any(temp_root.glob("childdesk-demo-*/vault/vault.header")), 60, "demo vault")
        if when == "window_up":
            _wait(lambda: _main_window_up(display), 120, "the demo's main window")
        (demo_dir,) = temp_root.glob("childdesk-demo-*")
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        _stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM, stderr.decode(errors="replace")
    assert not demo_dir.exists()
    assert list(temp_root.iterdir()) == []
    assert b"Traceback" not in stderr and b"internal error" not in stderr
