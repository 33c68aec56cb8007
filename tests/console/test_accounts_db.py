"""Accounts, sessions and the access log on both databases the district runs on (SQLite and
the PostgreSQL the suite starts)."""

from __future__ import annotations

import time

import pyotp
import pytest

from sync.server.console import accounts, dates, secretbox, sessions
from sync.server.district import District
from sync.wire import utc_now


def test_accounts_sessions_and_log(district: District) -> None:
    engine = district.engine
    user, password = accounts.add_user(engine, "县局-张", "district", [])
    town, _ = accounts.add_user(engine, "督导-赵", "town", ["500119101", "500119102"])
    assert town.scope.allows_village("500119102003") and not town.scope.allows_village(
        "500119103001"
    )
    assert accounts.check_password(engine, "县局-张", password, "10.0.0.1").user_id == user.user_id
    with pytest.raises(accounts.AccountError):
        accounts.check_password(engine, "县局-张", "nope-nope-1", "10.0.0.1")
    accounts.change_password(
        engine, user, password, "门前老槐树-2008-xiaohe", "门前老槐树-2008-xiaohe"
    )
    secret = pyotp.random_base32()
    step = int(time.time()) // 30
    first_code, next_code = (pyotp.TOTP(secret).at(n * 30) for n in (step, step + 1))
    key = secretbox.key_from(district.keys)
    assert accounts.enrol_totp(engine, user.user_id, secret, first_code, key)
    assert not accounts.verify_totp(engine, user.user_id, first_code, key)  # each code once
    assert accounts.verify_totp(engine, user.user_id, next_code, key)

    token, session = sessions.create(engine, user.user_id, "full", "10.0.0.1")
    loaded = sessions.load(engine, token)
    assert loaded is not None and loaded.csrf == session.csrf
    new = sessions.rotate(engine, session)
    assert sessions.load(engine, token) is None and sessions.load(engine, new) is not None
    stash = sessions.stash_form(
        engine, user.user_id, "/console/users", [("name", "x"), ("password", "secret")]
    )
    assert sessions.take_stash(engine, stash, town.user_id) is None  # someone else's
    assert sessions.take_stash(engine, stash, user.user_id) == {"name": "x"}
    assert sessions.end_all(engine, user.user_id) == 1

    accounts.log_access(engine, user.user_id, "register", '{"q":"50%_x"}', "ok", "10.0.0.1")
    rows, total = accounts.search_log(engine, target="50%_", user_name="县局-张")
    assert total == 1 and rows[0].action == "register"
    rows, total = accounts.search_log(engine, action="sign_in", outcome="failed")
    assert total == 1 and rows[0].user_name == "县局-张"
    day = dates.local_time(utc_now(), "day")  # the log's 从/到 are days in China
    assert accounts.search_log(engine, since=day, until=day)[1] == 2
    assert accounts.recent_failures(engine, user.user_id, "sign_in", 900) == 1
