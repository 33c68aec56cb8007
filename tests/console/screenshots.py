"""Screenshots of the district console in a real browser (Debian's chromium driven by Playwright).

    .venv/bin/python -m tests.console.screenshots OUT_DIR

A throw-away district is made in a temporary folder (new keys, SQLite, one account per role,
the partner with a roster) and served on loopback; three real laptop vaults filled by
app/demo_caseload (one with a mandatory report, a recognition application and an escalated
case) enrol and sync to it over HTTP, so every page shows data. Every page of each role's menu
and the detail pages (a child with notes, a village, a report, …) are captured at 1366×768 and
at a narrow 390×844. The browser is /usr/bin/chromium (setup.sh
installs it with fonts-noto-cjk); Playwright's own browser is never downloaded. The tests
(tests/console/test_console_browser.py) use the same functions.

The tests launch Debian's headless shell of the same chromium (``chromium-headless-shell``: the
same Blink and fonts without the browser around them, about half the CPU per launch and page
on two cores) — except test_console_browser.py, each role's walk, which keeps the whole browser
in every run, as this module's command line does.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

CHROMIUM = os.environ.get("CHILDDESK_CHROMIUM", "/usr/bin/chromium")
HEADLESS_SHELL = os.environ.get("CHILDDESK_CHROMIUM_SHELL", "/usr/bin/chromium-headless-shell")
SIZES = {"wide": (1366, 768), "narrow": (390, 844)}
# Pages beyond each role's menu (web.NAV); ``{child}`` and the like are filled from the demo
# district's data (:class:`Demo`).
EXTRA_PAGES: dict[str, tuple[str, ...]] = {
    "district": (
        "/children/{child}",
        "/villages/{village}",
        "/reports/{report}",
        "/applications/{application}",
        "/conferences/new?case={case}",
        "/workflow-settings",
        "/users/{partner}/roster",
        "/devices",
        "/account",
    ),
    "town": ("/children/{child}", "/villages/{village}", "/reports/{report}", "/account"),
    "partner": ("/account", "/overview"),  # the last one: how a refusal looks
}


@dataclass
class Login:
    name: str
    password: str
    totp_secret: str = ""


def launch(playwright: Any, *, whole_browser: bool = False) -> Any:
    """Chromium from the system, headless; ``--no-sandbox`` when running as root. The headless
    shell unless ``whole_browser`` (see the module's docstring)."""
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    executable = CHROMIUM if whole_browser else HEADLESS_SHELL
    return playwright.chromium.launch(executable_path=executable, headless=True, args=args)


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


class Credentials(Protocol):
    name: str
    password: str
    totp_secret: str


def sign_in(
    page: Any, base: str, login: Credentials, code: Callable[[str], str] | None = None
) -> None:
    """Sign in through the form (and the TOTP page when asked, with ``code(secret)``: the
    current code by default; tests/console/site.py's ``fresh_code`` where the test's own
    sign-ins may have used it already)."""
    page.goto(f"{base}/console/signin")
    page.fill("input[name=name]", login.name)
    page.fill("input[name=password]", login.password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if page.url.endswith("/console/totp"):
        page.fill("input[name=code]", (code or totp_now)(login.totp_secret))
        page.click("main button[type=submit]")
        page.wait_for_load_state()


def shoot(page: Any, out_dir: Path, name: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def capture_role(
    browser: Any, base: str, role: str, login: Login, out_dir: Path, pages: Sequence[str]
) -> list[tuple[Path, int, str]]:
    """Every page of ``role`` at both sizes; returns (screenshot, HTTP status, final path)."""
    shots: list[tuple[Path, int, str]] = []
    for size, (width, height) in SIZES.items():
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        sign_in(page, base, login)
        for path in pages:
            response = page.goto(f"{base}/console{path}")
            status = response.status if response is not None else 0
            slug = re.sub(r"[^0-9A-Za-z_-]+", "-", path.split("?")[0].strip("/"))[:40]
            name = f"{role}-{slug or 'home'}-{size}"
            shots.append((shoot(page, out_dir, name), status, page.url.split("/console", 1)[-1]))
        context.close()
    return shots


# ----- a throw-away district with synced data, for the command line ---------------------

TOWN = "500119101"
VILLAGES = (
    ("500119101001", "青龙村", 14),
    ("500119101002", "白鹤村", 10),
    ("500119102001", "石桥村", 8),
)
DEMO_PASSWORD = "门前老槐树-2008-xiaohe"  # demo accounts and vaults only


@dataclass
class Demo:
    """What the demo district holds, to fill in page paths."""

    base: str
    logins: dict[str, Login]
    ids: dict[str, str]

    def pages(self, role: str) -> list[str]:
        from sync.server.console.web import nav_for

        menu = [path.removeprefix("/console") for path, _label in nav_for(role)]
        extra = [path.format(**self.ids) for path in EXTRA_PAGES[role]]
        return menu + [p for p in extra if p not in menu]


def _laptops(folder: Path, base: str, district: Any, today: Any) -> dict[str, str]:
    """Real laptop vaults filled by app/demo_caseload, synced to the server over HTTP; a
    mandatory report, a recognition application and an escalated case on the first."""
    from app.demo_caseload import fill_vault
    from app.services.workflows import WorkflowService
    from storage.vault import Vault
    from sync.laptop.engine import LaptopSync

    ids: dict[str, str] = {}
    for number, (village, label, children) in enumerate(VILLAGES):
        director = ("王秀英", "李桂芳", "赵德明")[number]
        vault = Vault.create(
            folder / f"laptop-{number}",
            DEMO_PASSWORD,
            director_name=director,
            village_code=village,
            kdf_target_ms=0,
        ).vault
        try:
            fill_vault(
                vault,
                children=children,
                seed=20 + number,
                village_code=village,
                today=today,
                author=director,
                programme=number == 0,
            )
            laptop = LaptopSync(vault, author=director, sleep=lambda _s: None)
            code = district.create_enroll_code([village], 3600)
            laptop.enroll_network(base, code, label=f"{label}儿童主任")
            if number == 0:
                kids = sorted(r.record_id for r in vault.load("child").revisions)
                service = WorkflowService(vault, author=director)
                ids["report"] = service.file_report(
                    kids[1],
                    source="child_file",
                    seen="孩子手臂上有多处淤青，说是被打的",
                    seen_at=f"{today.isoformat()} 下午",
                    at_risk="孩子本人",
                    immediate_danger=True,
                    told={"police": True, "school": False, "hospital": False},
                    concern="abuse",
                )
                ids["application"] = service.create_application(kids[2])
                service.submit_application(ids["application"], guardian_signed=True)
                ids["case"] = vault.put(
                    "case",
                    {
                        "child_id": kids[3],
                        "stage": "intervening",
                        "escalated_on": today.isoformat(),
                    },
                    author=director,
                ).record_id
                ids["child"] = kids[0]
                ids["village"] = village
            laptop.sync_now()
        finally:
            vault.lock()
    return ids


@contextmanager
def demo_site() -> Iterator[Demo]:
    """A throw-away district on loopback: new keys, SQLite, one account per role (the partner
    with a roster), and three villages' laptops synced over HTTP with demo caseloads."""
    import socket
    from datetime import UTC, datetime

    import uvicorn

    from sync.keys import KeyPair
    from sync.server import db
    from sync.server.app import create_app
    from sync.server.console import accounts, notes, query_tables, rosters, secretbox
    from sync.server.district import District

    with tempfile.TemporaryDirectory(prefix="console-shots-") as folder:
        keys = KeyPair.generate()
        engine = db.make_engine(f"sqlite:///{Path(folder) / 'district.db'}")
        db.migrate(engine)
        district = District(engine, keys.public, keys)
        logins: dict[str, Login] = {}
        user_ids: dict[str, int] = {}
        for role, towns in (("district", []), ("town", [TOWN]), ("partner", [])):
            name = {"district": "区民政局-王", "town": "乡镇督导-李", "partner": "妇联-陈"}[role]
            user, first = accounts.add_user(engine, name, role, towns)
            accounts.change_password(engine, user, first, DEMO_PASSWORD, DEMO_PASSWORD)
            secret = ""
            if role == "district":
                secret = accounts.new_totp_secret()
                accounts.enrol_totp(
                    engine, user.user_id, secret, totp_now(secret), secretbox.key_from(keys)
                )
            logins[role] = Login(name, DEMO_PASSWORD, secret)
            user_ids[role] = user.user_id
        rosters.set_roster(
            engine,
            user_ids["partner"],
            rosters.check_roster([TOWN], False, ["left_behind", "de_facto_unsupported"]),
        )
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
        base = f"http://127.0.0.1:{port}"
        try:
            today = datetime.now(UTC).date()
            ids = _laptops(Path(folder), base, district, today)
            # the notes below are written directly, not through a page that would catch up first
            query_tables.catch_up(engine)
            ids["partner"] = str(user_ids["partner"])
            town_scope = accounts.get_user(engine, user_ids["town"]).scope  # type: ignore[union-attr]
            for text in ("已电话联系镇卫生院，下周复查。", "祖母年迈，建议优先安排爱心妈妈结对。"):
                notes.add_note(engine, town_scope, ids["child"], text)
            yield Demo(base, logins, ids)
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
    with demo_site() as demo, sync_playwright() as playwright:
        browser = launch(playwright, whole_browser=True)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            for size, (width, height) in SIZES.items():
                page.set_viewport_size({"width": width, "height": height})
                page.goto(f"{demo.base}/console/signin")
                shoot(page, out, f"signin-{size}")
            for role, login in demo.logins.items():
                shots = capture_role(browser, demo.base, role, login, out, demo.pages(role))
                for path, status, where in shots:
                    print(f"{status} {where} {path}")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
