"""Screenshots of the district console in a real browser (Debian's chromium driven by Playwright).

    .venv/bin/python -m sync.server.console.screenshots OUT_DIR [--url URL --user NAME ...]

Without ``--url`` a throw-away district is made in a temporary folder (new keys, SQLite, one
account per role, a demo device) and served on loopback; every console page is captured for
each role at 1366×768 and at a narrow 390×844. The browser is /usr/bin/chromium (setup.sh
installs it with fonts-noto-cjk); Playwright's own browser is never downloaded. The tests
(tests/console/test_console_browser.py) use the same functions.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("CHILDDESK_CHROMIUM", "/usr/bin/chromium")
SIZES = {"wide": (1366, 768), "narrow": (390, 844)}
PAGES: dict[str, tuple[str, ...]] = {
    "district": (
        "/overview",
        "/children",
        "/villages",
        "/exports",
        "/users",
        "/devices",
        "/log",
        "/account",
    ),
    "town": ("/overview", "/children", "/villages", "/exports", "/account", "/users"),
    "partner": ("/children", "/exports", "/account", "/log"),
}


@dataclass
class Login:
    name: str
    password: str
    totp_secret: str = ""


def launch(playwright: Any) -> Any:
    """Chromium from the system, headless; ``--no-sandbox`` when running as root."""
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)


_LAST_STEP: dict[str, int] = {}


def totp_now(secret: str) -> str:
    """A code for ``secret`` not given out before by this process (the server accepts each code
    once, from the previous, current or next 30-second step)."""
    import pyotp

    step = _LAST_STEP.get(secret, -1) + 1
    while step > int(time.time()) // 30 + 1:
        time.sleep(30 - time.time() % 30 + 0.2)
    step = max(step, int(time.time()) // 30)
    _LAST_STEP[secret] = step
    return pyotp.TOTP(secret).at(step * 30)


def sign_in(page: Any, base: str, login: Login) -> None:
    """Sign in through the form (and the TOTP page when asked)."""
    page.goto(f"{base}/console/signin")
    page.fill("input[name=name]", login.name)
    page.fill("input[name=password]", login.password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if page.url.endswith("/console/totp"):
        page.fill("input[name=code]", totp_now(login.totp_secret))
        page.click("main button[type=submit]")
        page.wait_for_load_state()


def shoot(page: Any, out_dir: Path, name: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def capture_role(
    browser: Any, base: str, role: str, login: Login, out_dir: Path
) -> list[tuple[Path, int, str]]:
    """Every page of ``role`` at both sizes; returns (screenshot, HTTP status, final path)."""
    shots: list[tuple[Path, int, str]] = []
    for size, (width, height) in SIZES.items():
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        sign_in(page, base, login)
        for path in PAGES[role]:
            response = page.goto(f"{base}/console{path}")
            status = response.status if response is not None else 0
            name = f"{role}-{path.strip('/').replace('/', '-')}-{size}"
            shots.append((shoot(page, out_dir, name), status, page.url.split("/console", 1)[-1]))
        context.close()
    return shots


# ----- a throw-away district for the command line -----------------------------------------


@contextmanager
def demo_site() -> Iterator[tuple[str, dict[str, Login]]]:
    import socket

    import uvicorn

    from sync.documents import build_enrollment_request
    from sync.keys import KeyPair
    from sync.server import db
    from sync.server.app import create_app
    from sync.server.console import accounts, secretbox
    from sync.server.district import District

    with tempfile.TemporaryDirectory(prefix="console-shots-") as folder:
        keys = KeyPair.generate()
        engine = db.make_engine(f"sqlite:///{Path(folder) / 'district.db'}")
        db.migrate(engine)
        district = District(engine, keys.public, keys)
        for number, label in enumerate(("青龙村办公室笔记本", "白鹤村儿童主任"), start=1):
            code = district.create_enroll_code([f"50011910100{number}"], 7 * 86400)
            request = build_enrollment_request(
                code=code, device_id=secrets.token_hex(8), keys=KeyPair.generate(), label=label
            )
            district.enroll(request, source="screenshots")
        logins: dict[str, Login] = {}
        for role, towns in (("district", []), ("town", ["500119101"]), ("partner", [])):
            name = {"district": "区民政局-王", "town": "乡镇督导-李", "partner": "妇联-陈"}[role]
            user, first = accounts.add_user(engine, name, role, towns)
            password = "门前老槐树-2008-xiaohe"  # noqa: S105 - a demo account
            accounts.change_password(engine, user, first, password, password)
            secret = ""
            if role == "district":
                secret = accounts.new_totp_secret()
                accounts.enrol_totp(
                    engine, user.user_id, secret, totp_now(secret), secretbox.key_from(keys)
                )
            logins[role] = Login(name, password, secret)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        app = create_app(district, console_insecure_cookie=True)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}", logins
        finally:
            server.should_exit = True
            thread.join(timeout=20)
            engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of the district console")
    parser.add_argument("out_dir")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    out = Path(args.out_dir)
    with demo_site() as (base, logins), sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            for size, (width, height) in SIZES.items():
                page.set_viewport_size({"width": width, "height": height})
                page.goto(f"{base}/console/signin")
                shoot(page, out, f"signin-{size}")
            for role, login in logins.items():
                for path, status, where in capture_role(browser, base, role, login, out):
                    print(f"{status} {where} {path}")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
