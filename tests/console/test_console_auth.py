"""The console's sign-in and protection over real HTTP: a ``childdesk-district serve`` process on
loopback, spoken to as a browser would (httpx). Throttling, CSRF, expiry, roles, escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from sync.keys import KeyPair
from sync.server import db
from sync.server.console import accounts
from sync.server.console import tables as t
from sync.server.district import District
from tests.console.site import NEW_PASSWORD, Site, csrf_of, fresh_code, post_form
from tests.sync.conftest import ServerThread, make_district
from tests.sync.conftest import district_keys as district_keys

# one worker for the module: its server and synced data are made once (conftest.py)
pytestmark = pytest.mark.xdist_group(name="console-auth")


@pytest.fixture
def site(shared_site: Site) -> Site:
    """The worker's server (conftest.py): these tests only add their own accounts."""
    return shared_site


def _signin(client: httpx.Client, name: str, password: str) -> httpx.Response:
    page = client.get("/console/signin")
    return client.post(
        "/console/signin", data={"name": name, "password": password, "csrf": csrf_of(page.text)}
    )


def _log(site: Site, action: str, outcome: str) -> list[tuple[int | None, str]]:
    with site.engine.connect() as conn:
        rows = conn.execute(
            select(t.access_log.c.user_id, t.access_log.c.target).where(
                t.access_log.c.action == action, t.access_log.c.outcome == outcome
            )
        ).all()
    return [(r.user_id, r.target) for r in rows]


def test_cookie_is_httponly_strict_and_scoped_and_pages_are_not_cached(site: Site) -> None:
    account = site.add("cookie-town", "town", ("500119101",))
    client = site.client()
    answer = _signin(client, account.name, account.password)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/password"
    cookie = next(v for v in answer.headers.get_list("set-cookie") if "childdesk_console=" in v)
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/console/" in lowered
    assert "secure" not in lowered  # --console-insecure-cookie: plain http on loopback
    page = client.get("/console/password")
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


@pytest.fixture
def secure_server(
    tmp_path: Path,
    district_keys: KeyPair,
) -> Iterator[tuple[ServerThread, District]]:
    district = make_district(f"sqlite:///{tmp_path / 'district.db'}", district_keys)
    server = ServerThread(district)
    yield server, district
    server.stop()
    district.engine.dispose()


def test_without_the_dev_flag_the_cookie_is_secure(
    secure_server: tuple[ServerThread, District],
) -> None:
    server, district = secure_server
    _user, password = accounts.add_user(district.engine, "secure-user", "partner", [])
    with httpx.Client(base_url=server.url) as client:
        page = client.get("/console/signin")
        pre = page.cookies["childdesk_console_pre"]  # Secure: httpx keeps it off plain http
        answer = client.post(
            "/console/signin",
            data={"name": "secure-user", "password": password, "csrf": csrf_of(page.text)},
            headers={"cookie": f"childdesk_console_pre={pre}"},
        )
    assert answer.status_code == 303
    cookie = next(v for v in answer.headers.get_list("set-cookie") if "childdesk_console=" in v)
    assert "secure" in cookie.lower().split("; ")


def test_unknown_name_wrong_password_and_disabled_account_get_the_same_answer(site: Site) -> None:
    account = site.add("same-answer", "partner")
    off = site.add("same-answer-off", "partner")
    accounts.set_disabled(site.engine, off.name)
    answers = [
        _signin(site.client(), "nobody-here", "whatever-123"),
        _signin(site.client(), account.name, "wrong-password-1"),
        _signin(site.client(), off.name, off.password),
    ]
    bodies = [re.search(r'role="alert">([^<]*)<', a.text) for a in answers]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert {b.group(1) for b in bodies if b} == {accounts.SIGNIN_REFUSED_ZH}
    assert len(_log(site, "sign_in", "failed")) >= 3


def test_failed_sign_ins_are_throttled_per_name_and_logged(site: Site) -> None:
    account = site.add("throttled-name", "partner")
    for _ in range(accounts.MAX_FAILURES_PER_NAME):
        assert _signin(site.client(), account.name, "not-it-1234").status_code == 401
    # Now even the right password is refused for a while, with its own message.
    answer = _signin(site.client(), account.name, account.password)
    assert answer.status_code == 401
    assert accounts.THROTTLED_ZH in answer.text
    user = accounts.find_user(site.engine, account.name)
    assert user is not None
    assert (user.user_id, "") in _log(site, "sign_in", "throttled")
    # Another name from the same place still signs in.
    other = site.add("throttled-other", "partner")
    assert _signin(site.client(), other.name, other.password).status_code == 303


def test_failed_sign_ins_are_throttled_per_source(fresh_site: Site) -> None:
    site = fresh_site
    account = site.add("source-victim", "partner")
    for i in range(accounts.MAX_FAILURES_PER_SOURCE):
        assert _signin(site.client(), f"guess-{i}", "guess-password").status_code == 401
    answer = _signin(site.client(), account.name, account.password)
    assert answer.status_code == 401 and accounts.THROTTLED_ZH in answer.text


def test_missing_or_forged_csrf_token_is_refused_with_403_and_logged(site: Site) -> None:
    admin = site.add("csrf-admin", "district")
    client = site.sign_in(admin)
    before = len(accounts.list_users(site.engine))
    for data in (
        {"name": "sneaky", "role": "partner"},
        {"name": "sneaky", "role": "partner", "csrf": "forged"},
    ):
        answer = client.post("/console/users/add", data=data)
        assert answer.status_code == 403 and "表单已失效" in answer.text
    # Cross-site: a token from another session does not work either.
    other = site.sign_in(site.add("csrf-admin-2", "district"))
    foreign = csrf_of(other.get("/console/users").text)
    answer = client.post(
        "/console/users/add", data={"name": "sneaky", "role": "partner", "csrf": foreign}
    )
    assert answer.status_code == 403
    assert len(accounts.list_users(site.engine)) == before + 1  # only csrf-admin-2
    assert len(_log(site, "csrf", "denied")) >= 3
    # The sign-in form has its own token (no pre-session cookie: refused).
    fresh = site.client()
    answer = fresh.post(
        "/console/signin", data={"name": admin.name, "password": admin.password, "csrf": "x"}
    )
    assert answer.status_code == 403


def test_the_first_sign_in_forces_a_new_password_and_refuses_weak_ones(site: Site) -> None:
    account = site.add("first-time", "town", ("500119102",))
    client = site.client()
    assert (
        _signin(client, account.name, account.password).headers["location"] == "/console/password"
    )
    assert client.get("/console/account").headers["location"] == "/console/password"
    weak = post_form(
        client,
        "/console/password",
        {"old_password": account.password, "new_password": "12345678", "again": "12345678"},
    )
    assert weak.status_code == 400 and "连续" in weak.text
    good = post_form(
        client,
        "/console/password",
        {"old_password": account.password, "new_password": NEW_PASSWORD, "again": NEW_PASSWORD},
    )
    assert good.status_code == 303
    assert client.get("/console/account").status_code == 200


def test_district_accounts_must_enrol_totp_and_then_give_a_code_every_time(site: Site) -> None:
    admin = site.add("totp-admin", "district")
    site.sign_in(admin)  # changes the password and enrols (tests/console/site.py)
    assert admin.totp_secret
    client = site.client()
    answer = _signin(client, admin.name, admin.password)
    assert answer.headers["location"] == "/console/totp"
    assert client.get("/console/users").headers["location"] == "/console/totp"
    wrong = post_form(client, "/console/totp", {"code": "000000"})
    assert wrong.status_code == 401
    before = client.cookies["childdesk_console"]
    code = fresh_code(admin.totp_secret)
    assert post_form(client, "/console/totp", {"code": code}).status_code == 303
    assert client.get("/console/users").status_code == 200
    # Signing in completed: the cookie value changed and the one from before is worthless.
    assert client.cookies["childdesk_console"] != before
    stolen = site.client()
    stolen.cookies.set("childdesk_console", before, path="/console/")
    assert stolen.get("/console/users").status_code == 303
    # The same code does not sign in a second time (replay).
    again = site.client()
    _signin(again, admin.name, admin.password)
    assert post_form(again, "/console/totp", {"code": code}).status_code == 401


def test_an_idle_session_expires_and_a_half_filled_form_comes_back(site: Site) -> None:
    admin = site.add("expiry-admin", "district")
    client = site.sign_in(admin)
    page = client.get("/console/users")
    token = csrf_of(page.text)
    site.age_sessions(31 * 60)
    answer = client.get("/console/log")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/signin?next=/console/log"
    # Again, mid-form: the POST is kept and the user returns to it after signing in.
    client = site.sign_in(admin)
    token = csrf_of(client.get("/console/users").text)
    site.age_sessions(31 * 60)
    answer = client.post(
        "/console/users/add",
        data={
            "name": "kept-町",
            "role": "town",
            "towns": "500119103",
            "_page": "/console/users",
            "csrf": token,
        },
    )
    assert answer.status_code == 303 and "resume=" in answer.headers["location"]
    assert accounts.find_user(site.engine, "kept-町") is None
    signin = client.get(answer.headers["location"])
    assert signin.status_code == 200 and "登录后会回到原来的页面" in signin.text
    form = dict(re.findall(r'name="(next|resume|csrf)" value="([^"]*)"', signin.text))
    back = client.post(
        "/console/signin", data={"name": admin.name, "password": admin.password, **form}
    )
    assert back.headers["location"] == "/console/totp"
    done = post_form(client, "/console/totp", {"code": fresh_code(admin.totp_secret)})
    assert done.headers["location"].startswith("/console/users?restore=")
    restored = client.get(done.headers["location"])
    assert 'value="kept-町"' in restored.text and 'value="500119103"' in restored.text
    assert '<option value="town" selected>' in restored.text
    assert "您刚才填写的内容已保留" in restored.text
    # Once only.
    assert 'value="kept-町"' not in client.get(done.headers["location"]).text


def test_town_and_partner_users_get_403_on_district_pages_and_it_is_logged(site: Site) -> None:
    for name, role, towns in (
        ("nosy-town", "town", ("500119104",)),
        ("nosy-partner", "partner", ()),
    ):
        account = site.add(name, role, towns)
        client = site.sign_in(account)
        user = accounts.find_user(site.engine, name)
        assert user is not None
        for path in ("/console/users", "/console/devices", "/console/log"):
            answer = client.get(path)
            assert answer.status_code == 403 and "没有权限" in answer.text
            assert (user.user_id, path) in _log(site, "page", "denied")
        token = csrf_of(client.get("/console/account").text)
        answer = client.post(
            "/console/users/add", data={"name": "x", "role": "district", "csrf": token}
        )
        assert answer.status_code == 403
        assert accounts.find_user(site.engine, "x") is None


def test_html_in_a_user_name_is_shown_as_text(site: Site) -> None:
    admin = site.sign_in(site.add("escape-admin", "district"))
    hostile = "<script>alert(1)</script>{{7*7}}"
    site.add(hostile, "partner")
    page = admin.get("/console/users")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}" in page.text


def test_sign_out_everywhere_ends_every_session_of_the_user(site: Site) -> None:
    account = site.add("many-places", "partner")
    first = site.sign_in(account)
    second = site.sign_in(account)
    assert second.get("/console/account").status_code == 200
    answer = post_form(first, "/console/signout-all", {}, page="/console/account")
    assert answer.status_code == 303
    assert second.get("/console/account").status_code == 303
    assert first.get("/console/account").status_code == 303


def test_bad_input_never_gives_a_server_error(site: Site) -> None:
    admin = site.sign_in(site.add("bad-input-admin", "district"))
    for path in (
        "/console/log?page=99999999999999999999",
        "/console/log?since=2026-02-31",
        "/console/log?since=garbage&until=%00",
        "/console/log?action=<script>&outcome=x",
        "/console/signin?next=//evil.example/&resume=" + "x" * 500,
        "/console/no-such-page",
    ):
        answer = admin.get(path)
        assert answer.status_code in (200, 404), path
    for path, data in (
        ("/console/devices/revoke", {"device": "zz"}),
        ("/console/devices/revoke", {"device": "0123456789abcdef", "confirmed": "1"}),
        ("/console/devices/enroll-code", {"villages": "12", "expires": "7d"}),
        ("/console/devices/enroll-code", {"villages": "500119101001", "expires": "99y"}),
        ("/console/users/add", {"name": "", "role": "town"}),
        ("/console/users/add", {"name": "bad-town", "role": "town", "towns": "123"}),
        ("/console/users/frobnicate", {"name": "x"}),
    ):
        answer = post_form(admin, path, data, page="/console/devices")
        assert answer.status_code in (400, 404), (path, answer.status_code)
    # An open redirect through ?next= is not followed.
    account = site.add("redirect-partner", "partner")
    site.sign_in(account)
    client = site.client()
    page = client.get("/console/signin?next=//evil.example/x")
    answer = client.post(
        "/console/signin",
        data={
            "name": account.name,
            "password": account.password,
            "csrf": csrf_of(page.text),
            "next": "//evil.example/x",
        },
    )
    assert answer.headers["location"].startswith("/console/")


def test_enroll_code_and_revoke_from_the_console_use_the_district(site: Site) -> None:
    admin = site.sign_in(site.add("device-admin", "district"))
    answer = post_form(
        admin,
        "/console/devices/enroll-code",
        {"villages": "500119101001 500119101002", "expires": "3d"},
        page="/console/devices",
    )
    assert answer.status_code == 200
    code = re.search(r'<p class="secret">([^<]+)</p>', answer.text)
    assert code is not None
    with site.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.enroll_codes)).scalar_one() >= 1
    assert "500119101001,500119101002" in [target for _u, target in _log(site, "enroll_code", "ok")]


def test_disabling_a_user_asks_first_then_ends_their_sessions(site: Site) -> None:
    admin = site.sign_in(site.add("confirm-admin", "district"))
    victim = site.add("confirm-victim", "town", ("500119105",))
    victim_client = site.sign_in(victim)
    asked = post_form(admin, "/console/users/disable", {"name": victim.name}, page="/console/users")
    assert asked.status_code == 200 and "确定停用吗" in asked.text
    assert victim_client.get("/console/account").status_code == 200  # nothing changed yet
    done = post_form(
        admin,
        "/console/users/disable",
        {"name": victim.name, "confirmed": "1"},
        page="/console/users",
    )
    assert done.status_code == 200 and "已停用" in done.text
    assert victim_client.get("/console/account").status_code == 303
    found = accounts.find_user(site.engine, victim.name)
    assert found is not None and found.disabled


def test_after_signing_in_again_the_user_returns_to_the_page_with_its_query(site: Site) -> None:
    account = site.add("query-partner", "partner")
    client = site.sign_in(account)
    site.age_sessions(31 * 60)
    answer = client.get("/console/account?done=password")
    location = answer.headers["location"]
    assert location == "/console/signin?next=/console/account%3Fdone%3Dpassword"
    page = client.get(location)
    form = dict(re.findall(r'name="(next|resume|csrf)" value="([^"]*)"', page.text))
    back = client.post(
        "/console/signin", data={"name": account.name, "password": account.password, **form}
    )
    assert back.headers["location"] == "/console/account?done=password"


def test_guessing_totp_codes_ends_the_half_signed_in_session(site: Site) -> None:
    admin = site.add("totp-guesser", "district")
    site.sign_in(admin)
    client = site.client()
    assert _signin(client, admin.name, admin.password).headers["location"] == "/console/totp"
    answers = [post_form(client, "/console/totp", {"code": f"{n:06d}"}) for n in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401]
    fifth = post_form(client, "/console/totp", {"code": "000004"})
    assert fifth.status_code == 303 and fifth.headers["location"] == "/console/signin?totp=1"
    assert client.get("/console/totp").status_code == 303  # the session is gone
    user = accounts.find_user(site.engine, admin.name)
    assert user is not None
    assert accounts.recent_failures(site.engine, user.user_id, "totp", 900) == 5


def test_sessions_and_throttling_hold_across_worker_processes(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from tests.console.conftest import _district_folder
    from tests.console.site import running_site

    with running_site(_district_folder(tmp_path_factory), workers=2) as site:
        account = site.add("two-workers", "partner")
        client = site.sign_in(account)
        # New connections land on either worker: every one knows the session.
        for _ in range(12):
            with site.client() as fresh:
                fresh.cookies = client.cookies
                assert fresh.get("/console/account").status_code == 200
        for _ in range(accounts.MAX_FAILURES_PER_NAME):
            with site.client() as fresh:
                assert _signin(fresh, account.name, "wrong-wrong-1").status_code == 401
        with site.client() as fresh:
            assert accounts.THROTTLED_ZH in _signin(fresh, account.name, account.password).text


def test_a_town_user_may_turn_on_totp_and_is_then_asked_for_it(site: Site) -> None:
    account = site.add("optional-totp", "town", ("500119106",))
    client = site.sign_in(account)  # no second factor asked of a town account
    assert "未设置" in client.get("/console/account").text
    page = client.get("/console/enrol")
    found = re.search(r'<p class="secret">([A-Z2-7 ]+)</p>', page.text)
    assert found and 'src="data:image/svg+xml' in page.text
    account.totp_secret = found.group(1).replace(" ", "")
    wrong = post_form(client, "/console/enrol", {"code": "123456"})
    assert wrong.status_code == 401
    done = post_form(client, "/console/enrol", {"code": fresh_code(account.totp_secret)})
    assert done.headers["location"] == "/console/account?done=totp"
    assert client.get("/console/enrol").status_code == 403  # already set
    again = site.client()
    assert _signin(again, account.name, account.password).headers["location"] == "/console/totp"
