"""The end-to-end harness: a real X display at a laptop's size with a window manager and a
taskbar, the real ``childdesk`` program on it (tests/e2e/probe.py), and a user who sees through
the probe and acts through xdotool (real mouse and keyboard events).

Also a script: ``python tests/e2e/harness.py [--size 1366x768] [-- childdesk args]`` starts the
same display (and the program, if arguments follow ``--``) so anyone can watch it with a VNC
viewer or take screenshots: ``DISPLAY=:N import -window root shot.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).resolve().with_name("probe.py")
TOOLS = ("Xvfb", "openbox", "xdotool", "tint2", "import")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _free_display() -> int:
    for number in range(140, 400):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            return number
    raise RuntimeError("no free X display number")


@dataclass
class Display:
    """Xvfb + openbox + a tint2 taskbar at the bottom (so windows must leave it room)."""

    width: int = 1366
    height: int = 768
    number: int = 0
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f":{self.number}"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("QT_QPA_PLATFORM", None)  # the suite sets offscreen; this is a real window
        env.update({"DISPLAY": self.name, "QT_QPA_PLATFORM": "xcb"}, **extra)
        return env

    def start(self, workdir: Path) -> Display:
        self.number = _free_display()
        xvfb = subprocess.Popen(
            [
                "Xvfb",
                self.name,
                "-screen",
                "0",
                f"{self.width}x{self.height}x24",
                "-nolisten",
                "tcp",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(xvfb)
        socket_path = Path(f"/tmp/.X11-unix/X{self.number}")
        _wait(socket_path.exists, 10, "Xvfb did not start")
        env = self.env()
        self.procs.append(
            subprocess.Popen(
                ["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        time.sleep(0.5)
        panel = workdir / "tint2rc"
        panel.write_text(_TINT2RC, encoding="utf-8")
        self.procs.append(
            subprocess.Popen(
                ["tint2", "-c", str(panel)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        time.sleep(1.0)
        return self

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
            if proc.poll() is None:
                proc.kill()
        self.procs.clear()

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", "root", str(path)], env=self.env(), check=True)
        return path


# A taskbar 40 px high at the bottom, reserving its space (a strut) like a desktop's panel.
_TINT2RC = """
panel_items = T
panel_position = bottom center horizontal
panel_size = 100% 40
panel_layer = top
strut_policy = follow_size
panel_background_id = 1
rounded = 0
border_width = 0
background_color = #303030 100
taskbar_mode = single_desktop
"""


class E2EFailure(AssertionError):
    pass


def _wait(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Until ``check()`` is true (its value), asking every 0.05 s at first and less often the
    longer it takes (at most every 0.25 s): each look is a question to the program, and a
    minute's wait for the auto-lock at 10 looks a second cost it seconds of CPU."""
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise E2EFailure(f"timed out after {timeout} s: {what}")
        time.sleep(pause)
        pause = min(pause * 1.25, 0.25)


class Desk:
    """The running program, seen through the probe and driven with real X input."""

    def __init__(self, display: Display, workdir: Path, args: list[str], **env: str) -> None:
        self.display = display
        self.workdir = workdir
        self.args = args
        self.extra_env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.reader: Any = None
        self.runs = 0
        self.shots = workdir / "shots"

    # ----- process ------------------------------------------------------------------------

    def start(self) -> Desk:
        self.runs += 1
        port_file = self.workdir / f"probe-port-{self.runs}"
        self.stderr_path = self.workdir / f"stderr-{self.runs}.txt"
        env = self.display.env(
            CHILDDESK_STRICT_THREADS="1",
            XDG_CONFIG_HOME=str(self.workdir / "config"),
            HOME=str(self.workdir / "home"),
            PYTHONPATH=str(ROOT),
            **self.extra_env,
        )
        (self.workdir / "home").mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-X", "faulthandler", str(PROBE), str(port_file), "--", *self.args],
            env=env,
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr_path.open("wb"),
        )
        _wait(lambda: port_file.exists() or self.proc_exited(), 30, "the program's probe")
        self.alive()
        port = int(port_file.read_text(encoding="utf-8"))
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.reader = self.sock.makefile("r", encoding="utf-8")
        return self

    def proc_exited(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stderr_problems(self) -> list[str]:
        """Crashes and exceptions the program printed (a Python exception in a Qt slot is
        printed, not fatal: still a bug) in any of its runs."""
        found = []
        for run in range(1, self.runs + 1):
            path = self.workdir / f"stderr-{run}.txt"
            text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
            for marker in (
                "Fatal Python error",
                "Traceback (most recent call last)",
                "malloc",
                "Segmentation fault",
                "QObject: shared QObject",
            ):
                if marker in text:
                    found.append(f"run {run}: {marker}\n{text[-3000:]}")
        return found

    def alive(self) -> None:
        """Fail with the program's own output (faulthandler's trace) if it has died."""
        if self.proc_exited():
            assert self.proc is not None
            raise E2EFailure(
                f"the program exited with {self.proc.returncode}; its stderr:\n{self.stderr()}"
            )

    def wait_exit(self, timeout: float = 20) -> int:
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired as err:
            raise E2EFailure(f"the program did not exit within {timeout} s") from err
        self._disconnect()
        return code

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._disconnect()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._disconnect()

    def _disconnect(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock = self.reader = None

    # ----- seeing --------------------------------------------------------------------------

    def ask(self, op: str, **request: Any) -> Any:
        self.alive()
        if self.sock is None:
            raise E2EFailure("not connected to the program")
        try:
            self.sock.sendall((json.dumps({"op": op, **request}) + "\n").encode("utf-8"))
            line = self.reader.readline()
        except OSError as err:
            self.alive()
            raise E2EFailure(f"probe connection failed: {err}") from err
        if not line:
            time.sleep(0.5)
            self.alive()
            raise E2EFailure("the probe closed the connection")
        reply = json.loads(line)
        if "error" in reply:
            raise E2EFailure(f"probe: {reply['error']}")
        return reply["ok"]

    def windows(self) -> list[dict[str, Any]]:
        return list(self.ask("windows"))

    def titles(self) -> list[str]:
        return [w["title"] for w in self.windows()]

    def find(self, **spec: Any) -> list[dict[str, Any]]:
        return list(self.ask("find", spec=spec))

    def one(self, timeout: float = 15, **spec: Any) -> dict[str, Any]:
        """Wait until a visible widget matches; the first match (the active window first)."""
        found = _wait(lambda: self.find(**spec), timeout, f"a widget {spec}")
        return dict(found[0])

    def gone(self, timeout: float = 15, **spec: Any) -> None:
        _wait(lambda: not self.find(**spec), timeout, f"no widget {spec}")

    def window(self, title: str, timeout: float = 15, settle: float = 3) -> dict[str, Any]:
        """A window titled ``title`` (a part of the title), once it has settled: active and in
        the same place at two looks in a row, for at most ``settle`` seconds more. A window
        that has just appeared is still being placed and focused by the window manager on a
        loaded machine, and a click computed from where it was lands beside its target. A
        window that never becomes active (one opened behind another) is returned all the
        same after ``settle``."""

        def look() -> dict[str, Any] | None:
            for w in self.windows():
                if title in w["title"]:
                    return w
            return None

        found = dict(_wait(look, timeout, f"a window titled {title!r}"))
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            time.sleep(0.1)
            again = look()
            if again is None:
                break  # gone again: the caller's next step says what that means
            if again["active"] and again["frame"] == found["frame"]:
                return dict(again)
            found = dict(again)
        return found

    def no_window(self, title: str, timeout: float = 15) -> None:
        _wait(
            lambda: all(title not in t for t in self.titles()), timeout, f"window {title!r} closed"
        )

    def wait(self, check: Callable[[], Any], what: str, timeout: float = 15) -> Any:
        return _wait(check, timeout, what)

    def focus(self) -> dict[str, Any] | None:
        return self.ask("focus")  # type: ignore[no-any-return]

    # ----- acting ---------------------------------------------------------------------------

    def _xdo(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.display.env(), check=True)

    def click_at(self, x: int, y: int, *, double: bool = False) -> None:
        self.alive()
        # --sync waits for the pointer to move, ~15 s when it is already there
        where = subprocess.run(
            ["xdotool", "getmouselocation", "--shell"],
            env=self.display.env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if f"X={x}\nY={y}\n" in where:
            self._xdo("mousemove", str(x), str(y))
        else:
            self._xdo("mousemove", "--sync", str(x), str(y))
        time.sleep(0.05)
        if double:
            self._xdo("click", "--repeat", "2", "--delay", "80", "1")
        else:
            self._xdo("click", "1")
        time.sleep(0.15)

    def click(self, timeout: float = 15, **spec: Any) -> dict[str, Any]:
        """Click the centre of a visible, enabled widget."""
        target = _wait(
            lambda: next((w for w in self.find(**spec) if w["enabled"]), None),
            timeout,
            f"an enabled widget {spec}",
        )
        x, y = target["center"]
        if target["cls"] in ("QCheckBox", "QRadioButton"):
            x = target["rect"][0] + 9  # the box itself: a wide row's middle is not clickable
        self.click_at(x, y)
        return dict(target)

    def click_item(
        self,
        *,
        double: bool = False,
        item: str | None = None,
        row: int | None = None,
        col: int = 0,
        **spec: Any,
    ) -> None:
        """Click a row of a list/table/tree or a tab, by its text or row number."""
        center = _wait(
            lambda: self.ask("item", spec=spec, item=item, row=row, col=col),
            15,
            f"item {item or row} in {spec}",
        )
        self.click_at(*center, double=double)

    def choose_tab(self, name: str, label: str, tries: int = 3) -> None:
        """Click the tab ``label`` of the tab widget ``name`` and wait until it is the current
        one. A click given while the window manager is still placing a window that has just
        opened (a loaded machine) can land beside the tab; a user would click again, and so
        does this, up to ``tries`` times."""

        def chosen() -> bool:
            return any(
                w.get("current") is not None and (w.get("items") or [])[w["current"]] == label
                for w in self.find(name=name)
            )

        for attempt in range(1, tries + 1):
            self.click_item(name=name, item=label)
            try:
                _wait(chosen, 5, f"the tab {label} of {name} chosen")
                return
            except E2EFailure:
                if attempt == tries:
                    raise

    def activate(self, title: str) -> None:
        """Bring a window to the front as its taskbar entry would (by its exact title)."""
        self.alive()
        self._xdo("search", "--name", f"^{title}$", "windowactivate", "--sync")
        time.sleep(0.3)

    def key(self, *keys: str) -> None:
        self.alive()
        self._xdo("key", "--delay", "60", *keys)
        time.sleep(0.2)

    def type(self, text: str) -> None:
        """Type as a user would; Chinese one character at a time (xdotool remaps a keycode
        per character, and fast runs garble)."""
        self.alive()
        chunk = ""
        for char in text:
            if char.isascii():
                chunk += char
                continue
            if chunk:
                self._xdo("type", "--delay", "40", chunk)
                chunk = ""
            self._xdo("type", "--delay", "120", char)
            time.sleep(0.12)
        if chunk:
            self._xdo("type", "--delay", "40", chunk)
        time.sleep(0.2)

    def fill(self, text: str, **spec: Any) -> None:
        """Click into a field, clear it and type. On a loaded machine X can drop the first
        remapped keystroke; a field that does not hold the text is typed again, as a user
        would (at most four times), so the journey checks the program, not xdotool."""
        for _ in range(5):
            self.click(**spec)
            self.key("ctrl+a", "BackSpace")
            self._type_checked(text, spec)
            # the last keystrokes may still be on their way through X to the program
            with contextlib.suppress(E2EFailure):
                self.wait(lambda: self.one(**spec).get("text") in (None, text), "", timeout=2)
            shown = self.one(**spec).get("text")
            if shown is None or shown == text:
                return
        raise E2EFailure(f"typed {text!r} into {spec}, the field shows {shown!r}")

    def _type_checked(self, text: str, spec: dict[str, Any]) -> None:
        """Type ``text`` into the (cleared, focused) field a piece at a time — a run of ASCII,
        or one Chinese character — and look after each piece: a Chinese character X dropped
        (its keycode remapped back before a busy program read it) is typed again, up to four
        times. A long Chinese text otherwise lost one character somewhere in each of five
        tries on a loaded machine. Anything else (a garbled field) is left to fill()'s retry."""
        typed = ""
        pieces: list[str] = []
        for char in text:
            if char.isascii() and pieces and pieces[-1].isascii():
                pieces[-1] += char
            else:
                pieces.append(char)
        for piece in pieces:
            want = typed + piece
            for _ in range(5):
                self.type(piece)
                if piece.isascii():
                    break  # ASCII keys are in the keymap: nothing is remapped
                with contextlib.suppress(E2EFailure):
                    self.wait(
                        lambda want=want: self.one(**spec).get("text") in (None, want),
                        "",
                        timeout=2,
                    )
                shown = self.one(**spec).get("text")
                if shown is None or shown == want:
                    break
                if shown != typed:
                    return  # not a dropped character: fill() clears the field and retries
            typed = want

    def fill_all(self, fields: list[tuple[str, dict[str, Any]]]) -> None:
        """Fill several fields, then check them all again: on a loaded machine a field's
        ctrl+a / BackSpace has been seen to reach the field filled just before (its text gone
        once the next one was typed); any field not holding its text is filled again."""
        for text, spec in fields:
            self.fill(text, **spec)
        for _ in range(4):
            lost = [(t, s) for t, s in fields if self.one(**s).get("text") not in (None, t)]
            if not lost:
                return
            for text, spec in lost:
                self.fill(text, **spec)
        raise E2EFailure(f"fields do not keep what was typed: {[s for _t, s in lost]}")

    def screenshot(self, name: str) -> Path:
        """The whole screen, taken by the probe (the X server's pixels, as ``import``'s)."""
        path = self.shots / f"{name}.png"
        self.ask("screenshot", path=str(path))
        return path

    def fits_screen(self) -> list[str]:
        """What does not fit: windows beyond the available area, buttons outside it."""
        screen = self.ask("screen")
        ax, ay, aw, ah = screen["available"]
        problems = []
        for w in self.windows():
            x, y, width, height = w["frame"]
            if x < ax or y < ay or x + width > ax + aw or y + height > ay + ah:
                problems.append(f"window {w['title']!r} frame {w['frame']} beyond {screen}")
        for b in self.ask("buttons_outside"):
            problems.append(f"button {b['text'] or b['name']!r} at {b['rect']} off screen")
        return problems


def write_settings(workdir: Path, **values: float | int) -> None:
    """The settings file the program reads (QSettings under XDG_CONFIG_HOME): text_scale,
    auto_lock_minutes."""
    folder = workdir / "config" / "childdesk"
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"{key}={value}\n" for key, value in values.items())
    (folder / "childdesk.conf").write_text("[General]\n" + lines, encoding="utf-8")


@contextlib.contextmanager
def running(display: Display, workdir: Path, args: list[str], **env: str) -> Iterator[Desk]:
    desk = Desk(display, workdir, args, **env).start()
    try:
        yield desk
    finally:
        desk.stop()


def _script() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--size", default="1366x768")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/childdesk-display"))
    parser.add_argument("childdesk", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if missing := missing_tools():
        print(f"missing: {' '.join(missing)} (run ./setup.sh as root)", file=sys.stderr)
        return 2
    width, height = (int(n) for n in args.size.split("x"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    display = Display(width, height).start(args.workdir)
    print(f"display {display.name} ({args.size}, openbox, taskbar); Ctrl+C stops it")
    try:
        if args.childdesk:
            argv = args.childdesk[1:] if args.childdesk[0] == "--" else args.childdesk
            subprocess.run(
                [sys.executable, "-X", "faulthandler", "-m", "ui.launcher", *argv],
                env=display.env(PYTHONPATH=str(ROOT)),
                check=False,
            )
        else:
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        display.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_script())
