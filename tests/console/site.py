"""A real district console for tests: ``childdesk-district serve`` as a process on loopback over a
district folder made by ``init``, accounts added in its database, and a helper that signs in over
HTTP as a browser would (password, first-time password change, TOTP enrolment and codes).

The server runs with ``--console-insecure-cookie`` because the tests speak plain http on
127.0.0.1 (behind the TLS proxy the cookie is ``Secure``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyotp
from sqlalchemy import Engine, update

from sync.server import db
from sync.server.console import accounts
from sync.server.console import tables as t
from tests.sync.test_availability import TLS_CONTEXT, Serving, serving

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SECRET = re.compile(r'<p class="secret">([A-Z2-7 ]+)</p>')
NEW_PASSWORD = "门前老槐树-2008-xiaohe"


@dataclass
class Account:
    name: str
    role: str
    password: str
    totp_secret: str = ""
    towns: tuple[str, ...] = ()


@dataclass
class Site:
    serve: Serving
    data_dir: Path
    engine: Engine
    accounts: dict[str, Account] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.serve.url + "/console"

    def add(self, name: str, role: str, towns: tuple[str, ...] = ()) -> Account:
        user, password = accounts.add_user(self.engine, name, role, list(towns))
        account = Account(user.name, role, password, towns=towns)
        self.accounts[name] = account
        return account

    def client(self) -> httpx.Client:
        # TLS_CONTEXT: a new httpx client would load the CA bundle again (~40 ms of CPU)
        return httpx.Client(
            base_url=self.serve.url, timeout=30, follow_redirects=False, verify=TLS_CONTEXT
        )

    def age_sessions(self, seconds: int) -> None:
        """Make every session look idle for ``seconds`` longer (instead of waiting)."""
        with db.write_transaction(self.engine) as conn:
            conn.execute(update(t.sessions).values(last_seen=t.sessions.c.last_seen - seconds))

    def sign_in(self, account: Account, client: httpx.Client | None = None) -> httpx.Client:
        """Sign in fully (doing the first-time steps when due); returns the client."""
        client = client or self.client()
        page = client.get("/console/signin")
        token = csrf_of(page.text)
        answer = client.post(
            "/console/signin",
            data={"name": account.name, "password": account.password, "csrf": token},
        )
        assert answer.status_code == 303, answer.text
        for _ in range(4):
            location = answer.headers["location"]
            if location.endswith("/totp"):
                code = fresh_code(account.totp_secret)
                answer = post_form(client, "/console/totp", {"code": code})
            elif location.endswith("/password"):
                answer = post_form(
                    client,
                    "/console/password",
                    {
                        "old_password": account.password,
                        "new_password": NEW_PASSWORD,
                        "again": NEW_PASSWORD,
                    },
                )
                account.password = NEW_PASSWORD
            elif location.endswith("/enrol"):
                page = client.get("/console/enrol")
                found = SECRET.search(page.text)
                assert found, page.text
                account.totp_secret = found.group(1).replace(" ", "")
                answer = post_form(
                    client, "/console/enrol", {"code": fresh_code(account.totp_secret)}
                )
            else:
                break
            assert answer.status_code == 303, answer.text
        return client


_LAST_CODE: dict[str, int] = {}


def fresh_code(secret: str) -> str:
    """A TOTP code not used before (each code is accepted once). The server accepts the
    previous, current and next 30 s step; after the current step's code was used, the next
    step's is taken, and only after that is there a wait."""
    step = _LAST_CODE.get(secret, -1) + 1
    while step > int(time.time()) // 30 + 1:
        time.sleep(30 - time.time() % 30 + 0.2)
    step = max(step, int(time.time()) // 30)
    _LAST_CODE[secret] = step
    return pyotp.TOTP(secret).at(step * 30)


def district_cli_here(
    *args: str, data_dir: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``childdesk-district ARGS --data-dir DATA_DIR`` in this process (its ``main(argv)``), for
    tests where the separate process is not the point: standard input, output and error and the
    exit code as tests/sync/test_district_cli.py's ``district_cli`` gives them from a real
    process (each of which costs ~1 CPU-s of start-up and imports)."""
    from sync import district_cli

    argv = [*args, "--data-dir", str(data_dir)]
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers = list(root.handlers)
    stdin_before = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = district_cli.main(argv)
            except SystemExit as exit_:  # argparse's refusals and --help
                code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
                if isinstance(exit_.code, str):
                    print(exit_.code, file=sys.stderr)
    finally:
        sys.stdin = stdin_before
        for handler in root.handlers[:]:  # main's logging.basicConfig: not into the next run
            if handler not in handlers:
                root.removeHandler(handler)
    return subprocess.CompletedProcess(
        ["childdesk-district", *argv], code, out.getvalue(), err.getvalue()
    )


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def post_form(
    client: httpx.Client, path: str, data: dict[str, str], page: str = ""
) -> httpx.Response:
    """POST a form as the browser does: with the CSRF token of the page it is on."""
    source = client.get(page or path)
    return client.post(path, data={**data, "csrf": csrf_of(source.text)})


@contextmanager
def running_site(
    data_dir: Path,
    *options: str,
    workers: int = 1,
    fast_password_hash: bool = True,
    env: Mapping[str, str] | None = None,
) -> Iterator[Site]:
    """The server on ``data_dir``; with the test-only cheap password hashes unless
    ``fast_password_hash`` is false (sync/server/console/accounts.py); ``env`` adds to its
    environment (``serving``)."""
    with serving(
        data_dir,
        "--console-insecure-cookie",
        *options,
        workers=workers,
        fast_password_hash=fast_password_hash,
        env=env,
    ) as serve:
        engine = db.make_engine(f"sqlite:///{data_dir / 'district.db'}")
        try:
            yield Site(serve, data_dir, engine)
        finally:
            engine.dispose()
