"""Partner rosters, the district's notes, TOTP secrets sealed at rest and the access log's
retention, in the query and account layers on data synced from real laptop vaults — SQLite and
the PostgreSQL the suite starts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from sqlalchemy import insert, select, update

from sync.keys import KeyPair
from sync.server import db
from sync.server.console import accounts, log_retention, notes, rosters, secretbox
from sync.server.console import queries as q
from sync.server.console import queries_child as qc
from sync.server.console import queries_overview as qo
from sync.server.console import tables as t
from sync.server.console.query_tables import q_children
from sync.server.console.scope import Roster, Scope
from sync.server.district import District
from tests.console.test_queries import TOWN, TOWN_A, TOWN_C, Synced, _sync
from tests.console.test_query_tables import TODAY
from tests.sync.conftest import (  # noqa: F401 - fixtures
    VILLAGE_A,
)


@pytest.fixture
def synced(district: District, make_device: Any) -> Synced:
    return _sync(district, make_device)


def partner(roster: Roster | None) -> Scope:
    return Scope("partner", (), 9, roster=roster)


def _children(synced: Synced) -> dict[str, tuple[str, str]]:
    with synced.district.engine.connect() as conn:
        return {
            r.child_id: (r.village_code, r.categories)
            for r in conn.execute(
                select(q_children.c.child_id, q_children.c.village_code, q_children.c.categories)
            )
        }


def test_a_partner_sees_exactly_its_roster_with_only_its_columns(synced: Synced) -> None:
    children = _children(synced)
    everyone = q.RegisterFilter(per_page=200)
    with synced.district.engine.connect() as conn:
        assert q.register(conn, partner(None), everyone, TODAY).total == 0
        assert q.register(conn, partner(Roster()), everyone, TODAY).total == 0
        town_a = q.register(conn, partner(Roster(towns=(TOWN_A,))), everyone, TODAY)
        assert {r.child_id for r in town_a.rows} == synced.a_ids
        for row in town_a.rows:  # nothing beyond the roster's columns leaves the query
            assert row.birth_date is None and row.gender == "" and row.next_due is None
            assert row.last_visit is None and row.case_stage is None and row.eighteenth is None
            assert not row.duplicate and not row.urgent and row.days_overdue == 0
        category = next(c for c in children[min(synced.a_ids)][1].strip("|").split("|") if c)
        expected = {cid for cid, (_v, cats) in children.items() if f"|{category}|" in cats}
        roster = Roster(whole_district=True, categories=(category,))
        both = q.register(conn, partner(roster), everyone, TODAY)
        assert {r.child_id for r in both.rows} == expected
        streamed = q.register_rows(conn, partner(roster), q.RegisterFilter(), TODAY, chunk=3)
        assert {r.child_id for r in streamed} == expected
        # filters beyond the roster's columns are ignored, an ID number is not searched
        scope = partner(Roster(towns=(TOWN_A, TOWN_C)))
        probe = q.parse_register_filter({"q": "50011920120315002X", "overdue": "1"})
        assert q.register(conn, scope, probe, TODAY).filter.q == ""
        assert q.register(conn, scope, probe, TODAY).total == len(synced.a_ids | synced.c_ids)
        wild = q.parse_register_filter({"sort": "next_due", "duplicates": "1", "age_band": "0-2"})
        assert q.for_scope(scope, wild).sort == "name" and not q.for_scope(scope, wild).duplicates
        assert q.register(conn, scope, wild, TODAY).total == len(synced.a_ids | synced.c_ids)
        assert q.register(conn, scope, q.parse_register_filter({"q": "张小明"}), TODAY).total == 1
        # every other query still shows a partner nothing
        assert qo.overview(conn, scope, TODAY - timedelta(days=365), TODAY, TODAY).active == 0
        assert qc.villages(conn, scope, TODAY) == []
        with pytest.raises(q.OutOfScopeError):
            qc.child_page(conn, scope, min(synced.a_ids))
        # a town user's scope is not widened by anything a roster does
        assert q.register(conn, TOWN, everyone, TODAY).total == len(synced.a_ids)


def test_rosters_are_kept_checked_and_only_for_partners(synced: Synced) -> None:
    engine = synced.district.engine
    who, _ = accounts.add_user(engine, "妇联-名单", "partner", [])
    town, _ = accounts.add_user(engine, "督导-名单", "town", [TOWN_A])
    assert who.roster is None and who.scope.roster is None
    for towns, whole, cats in (
        ([], False, []),  # nobody: refused, say so
        (["5001191"], False, []),
        ([TOWN_A], True, []),
        ([TOWN_A], False, ["no_such_category"]),
    ):
        with pytest.raises(accounts.AccountError):
            rosters.check_roster(towns, whole, cats)
    roster = rosters.check_roster(
        [TOWN_C, TOWN_A, TOWN_A], False, ["left_behind", "orphan_community"]
    )
    assert roster.towns == (TOWN_A, TOWN_C)
    assert roster.categories == ("orphan_community", "left_behind")  # in the register's order
    changed = rosters.set_roster(engine, who.user_id, roster)
    assert changed.scope.roster == roster
    assert accounts.get_user(engine, who.user_id).scope.roster == roster  # type: ignore[union-attr]
    with pytest.raises(accounts.AccountError):
        rosters.set_roster(engine, town.user_id, roster)
    assert rosters.set_roster(engine, who.user_id, None).scope.roster is None
    # a damaged stored roster is nobody, not an error
    with synced.district.engine.begin() as conn:
        conn.execute(update(t.users).where(t.users.c.user_id == who.user_id).values(roster="{x"))
    assert accounts.get_user(engine, who.user_id).scope.roster == Roster()  # type: ignore[union-attr]


def test_notes_are_kept_in_scope_and_listed_newest_first(synced: Synced) -> None:
    engine = synced.district.engine
    writer, _ = accounts.add_user(engine, "督导-备注", "town", [TOWN_A])
    scope = writer.scope
    own, other = min(synced.a_ids), min(synced.c_ids)
    first = notes.add_note(engine, scope, own, "  已电话联系镇卫生院。\r\n下周复查。 ")
    second = notes.add_note(engine, scope, own, "<b>{{7*7}}</b>")
    assert second > first
    with engine.connect() as conn:
        listed = notes.notes_of(conn, scope, own)
        assert [(n.author, n.text) for n in listed] == [
            ("督导-备注", "<b>{{7*7}}</b>"),
            ("督导-备注", "已电话联系镇卫生院。\n下周复查。"),
        ]
        with pytest.raises(q.OutOfScopeError):
            notes.notes_of(conn, scope, other)
    for bad in ("", "   \n ", "字" * (notes.NOTE_MAX + 1)):
        with pytest.raises(notes.NoteError):
            notes.add_note(engine, scope, own, bad)
    with pytest.raises(q.OutOfScopeError):
        notes.add_note(engine, scope, other, "不该写进来")
    with pytest.raises(q.OutOfScopeError):
        notes.add_note(engine, partner(Roster(whole_district=True)), own, "合作单位")
    for missing in ("0" * 32, "../x", "x" * 100):
        with pytest.raises(q.NotFoundError):
            notes.add_note(engine, scope, missing, "没有这个儿童")
    with engine.connect() as conn:
        assert conn.execute(select(t.child_notes.c.id)).all() == [(first,), (second,)]
        # notes never reach laptops: they are no synced record or revision
        for table in (db.records, db.revisions):
            assert not any("已电话联系" in str(r) for r in conn.execute(select(table)))


def test_totp_secrets_are_sealed_at_rest_and_plain_ones_migrated(district: District) -> None:
    engine = district.engine
    key = secretbox.key_from(district.keys)
    user, _ = accounts.add_user(engine, "县局-密钥", "district", [])
    other, _ = accounts.add_user(engine, "县局-另一个", "district", [])
    secret = pyotp.random_base32()
    step = int(time.time()) // 30
    codes = [pyotp.TOTP(secret).at(n * 30) for n in (step - 1, step, step + 1)]
    assert accounts.enrol_totp(engine, user.user_id, secret, codes[0], key)
    with engine.connect() as conn:
        stored = conn.execute(
            select(t.users.c.totp_secret).where(t.users.c.user_id == user.user_id)
        ).scalar_one()
    assert stored.startswith("v1:") and secret not in stored and len(stored) > 64
    assert secretbox.open_sealed(key, stored, user.user_id) == secret
    wrong_key = secretbox.key_from(KeyPair.generate())
    with pytest.raises(secretbox.SealedSecretError):
        secretbox.open_sealed(wrong_key, stored, user.user_id)
    assert not accounts.verify_totp(engine, user.user_id, codes[1], wrong_key)
    with pytest.raises(secretbox.SealedSecretError):  # moved to another account: does not open
        secretbox.open_sealed(key, stored, other.user_id)
    assert accounts.verify_totp(engine, user.user_id, codes[1], key)
    # a secret stored in plain base32 by an earlier version is sealed by the migration
    plain = pyotp.random_base32()
    with district.engine.begin() as conn:
        conn.execute(
            update(t.users)
            .where(t.users.c.user_id == other.user_id)
            .values(totp_secret=plain, totp_last_step=0)
        )
    assert not accounts.verify_totp(engine, other.user_id, pyotp.TOTP(plain).now(), key)
    assert secretbox.migrate_plain(engine, key) == 1
    assert secretbox.migrate_plain(engine, key) == 0  # once only
    with engine.connect() as conn:
        sealed = conn.execute(
            select(t.users.c.totp_secret).where(t.users.c.user_id == other.user_id)
        ).scalar_one()
    assert sealed.startswith("v1:") and plain not in sealed
    assert accounts.verify_totp(engine, other.user_id, pyotp.TOTP(plain).at(step * 30), key)


def test_access_log_retention(district: District) -> None:
    engine = district.engine
    now = datetime.now(UTC)

    def row(days_ago: int) -> dict[str, Any]:
        at = (now - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"at": at, "user_id": 1, "action": "register", "target": str(days_ago)}

    with engine.begin() as conn:
        for days_ago in (5000, 1200, 1094, 400, 190, 10):
            conn.execute(insert(t.access_log).values(**row(days_ago), outcome="ok", source=""))
    for too_short in (0, 30, 182):
        with pytest.raises(accounts.AccountError):
            log_retention.prune_access_log(engine, too_short)
    assert log_retention.prune_access_log(engine) == 2  # default: 3 years
    assert log_retention.prune_access_log(engine, 365) == 2
    assert log_retention.prune_access_log(engine, 183) == 1
    with engine.connect() as conn:
        kept = conn.execute(
            select(t.access_log.c.target).where(t.access_log.c.action == "register")
        ).scalars()
        assert sorted(kept, key=int) == ["10"]
        pruned = conn.execute(
            select(t.access_log.c.target).where(t.access_log.c.action == "log_prune")
        ).scalars()
        assert len(list(pruned)) == 3  # each pruning is itself logged
    assert log_retention.retention_from_env({}) == 3 * 365
    assert log_retention.retention_from_env({"CHILDDESK_ACCESS_LOG_DAYS": "200"}) == 200
    for bad in ("100", "abc", "-5", "１８３"):
        with pytest.raises(accounts.AccountError):
            log_retention.retention_from_env({"CHILDDESK_ACCESS_LOG_DAYS": bad})
