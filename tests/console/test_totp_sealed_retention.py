"""On a real ``childdesk-district serve``: TOTP secrets are stored sealed (never plain base32),
a secret left in plain text by an earlier version is sealed when the server starts and its
owner still signs in with the same authenticator; the access log is pruned on start (rows older
than 3 years) and by ``childdesk-district access-log prune``, which refuses under 183 days."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import insert, select, update

from sync.server.console import accounts
from sync.server.console import tables as t
from tests.console.conftest import _district_folder
from tests.console.site import district_cli_here, running_site


def _secret_of(engine: object, user_id: int) -> str:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return str(
            conn.execute(
                select(t.users.c.totp_secret).where(t.users.c.user_id == user_id)
            ).scalar_one()
        )


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_totp_sealed_and_migrated_and_log_pruned(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data_dir: Path = _district_folder(tmp_path_factory)
    with running_site(data_dir) as site:
        admin = site.add("区民政局-密封", "district")
        site.sign_in(admin).close()  # enrols TOTP through the pages
        admin_id = accounts.find_user(site.engine, admin.name).user_id  # type: ignore[union-attr]
        stored = _secret_of(site.engine, admin_id)
        assert stored.startswith("v1:") and admin.totp_secret not in stored
        raw = base64.urlsafe_b64decode(stored[3:])
        assert admin.totp_secret.encode() not in raw and len(raw) == 12 + 32 + 16
        site.sign_in(admin).close()  # and signs in again with the same app
        # an account whose secret an earlier version stored in plain base32
        old = site.add("乡镇-旧密钥", "town", ("500119101",))
        site.sign_in(old).close()  # sets its own password
        old.totp_secret = pyotp.random_base32()
        old_id = accounts.find_user(site.engine, old.name).user_id  # type: ignore[union-attr]
        with site.engine.begin() as conn:
            conn.execute(
                update(t.users)
                .where(t.users.c.user_id == old_id)
                .values(totp_secret=old.totp_secret, totp_last_step=0)
            )
            for days in (1500, 1200, 400, 5):
                conn.execute(
                    insert(t.access_log).values(
                        at=_ago(days),
                        user_id=1,
                        action="register",
                        target=f"old {days}",
                        outcome="ok",
                        source="",
                    )
                )
    with running_site(data_dir) as site:  # the server starts again
        sealed = _secret_of(site.engine, old_id)
        assert sealed.startswith("v1:") and old.totp_secret not in sealed
        site.sign_in(old).close()  # the same authenticator still works (a wrong code: 401)
        site.sign_in(admin).close()
        with site.engine.connect() as conn:
            targets = set(
                conn.execute(
                    select(t.access_log.c.target).where(t.access_log.c.target.like("old %"))
                ).scalars()
            )
            assert targets == {"old 400", "old 5"}  # older than 3 years pruned on start
            assert conn.execute(
                select(t.access_log.c.id).where(t.access_log.c.action == "log_prune")
            ).first()
    # (in this process: test_retention_cli.py runs prune as a real process)
    refused = district_cli_here(
        "access-log", "prune", "--older-than-days", "100", data_dir=data_dir
    )
    assert refused.returncode == 2 and "at least 183 days" in refused.stderr  # a usage error
    done = district_cli_here("access-log", "prune", "--older-than-days", "200", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert "1 row(s) older than 200 days deleted" in done.stdout
