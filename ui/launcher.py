"""Entry point of the ``childdesk`` console script.

With a subcommand it runs the command line (app.cli); without one it starts the desktop app.
It lives in ui/ because it is the one module that may reach both the GUI and the command line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from app.cli import parse_args, run_command
from storage.gc_pause import imports_paused, program_starts


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as err:  # a bug, not a user error: one line, no data from the message
        if os.environ.get("CHILDDESK_DEBUG"):
            raise
        print(
            f"childdesk: internal error ({type(err).__name__}); nothing further was saved. "
            "Set CHILDDESK_DEBUG=1 to see details.",
            file=sys.stderr,
        )
        return 70


def _main(argv: Sequence[str] | None) -> int:
    if argv is None:  # the program itself (the console script), not main([...]) in a test
        program_starts()
    with imports_paused():
        from sync.laptop import cli as sync_cli  # childdesk enroll / sync / export-batch / …

    if sync_cli.wants(sys.argv[1:] if argv is None else argv):
        return sync_cli.main(sys.argv[1:] if argv is None else argv)
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.smoke_test:
        from ui.smoke_test import run_smoke_test  # before the GUI: Qt offscreen, no windows

        return run_smoke_test()
    if args.command is not None:
        return run_command(args)
    if _no_display():
        print(
            "childdesk: no graphical display here (DISPLAY is not set). Run the desktop app on a "
            "desktop, or under a virtual one: `xvfb-run -a childdesk --demo`; to see every "
            "screen as PNG files: `python -m ui.screenshots --out DIR`.\n"
            "没有图形界面：请在桌面环境中运行本程序。",
            file=sys.stderr,
        )
        return 2
    with imports_paused():
        from ui.gui import run_gui  # Qt is imported only for the desktop app

    _quit_gui_on_sigterm()
    return run_gui(args)


_kept_alive: list[object] = []  # the SIGTERM hook's objects live as long as the program


def _quit_gui_on_sigterm() -> None:
    """SIGTERM (logout, ``kill``) ends the desktop app in order, like closing it: the event loop
    stops, the vault is locked, and ``--demo`` removes its temporary vault. Python runs signal
    handlers only between bytecodes, which an idle Qt event loop never reaches, so the C-level
    handler's wakeup byte (``signal.set_wakeup_fd``) wakes a thread that asks the GUI thread,
    through a queued signal, to leave its event loops. Before the loop runs, the handler just
    exits (``finally`` blocks and ``with`` blocks still clean up)."""
    import signal
    import socket
    import threading

    from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

    if os.name == "nt":
        return
    code = 128 + signal.SIGTERM

    class Terminator(QObject):
        requested = Signal()

        @Slot()
        def quit_now(self) -> None:
            QCoreApplication.exit(code)  # every event loop, modal dialogs' included

    terminator = Terminator()  # lives in the GUI thread: the connection is queued
    terminator.requested.connect(terminator.quit_now)
    reader, writer = socket.socketpair()
    writer.setblocking(False)

    def on_sigterm(_signum: int, _frame: object) -> None:
        if QCoreApplication.instance() is None:
            raise SystemExit(code)

    def watch() -> None:
        while data := reader.recv(64):
            if signal.SIGTERM in data:
                terminator.requested.emit()

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    threading.Thread(target=watch, name="sigterm", daemon=True).start()
    _kept_alive.extend((terminator, reader, writer))


def _no_display() -> bool:
    """Linux without X11/Wayland and no platform chosen: Qt would abort with a cryptic error."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


if __name__ == "__main__":
    sys.exit(main())
