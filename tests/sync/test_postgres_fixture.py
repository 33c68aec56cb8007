"""The session's PostgreSQL schema (tests/sync/conftest.py ``_MigratedPostgres``): a test's
district starts with every table empty and every sequence at its start, without a new
migration unless the previous test changed the schema — issue 15: the schema check failed on
PostgreSQL 15+ (``text || "char"``), so every PostgreSQL test dropped and re-migrated the
schema (~0.1 CPU-s of the server and the test process each)."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import text

from sync.server import db
from tests import postgres_cluster
from tests.sync.conftest import _MigratedPostgres

TABLES = [t.name for t in db.metadata.sorted_tables if t is not db.migrations_table]


def _fill(migrated: _MigratedPostgres) -> None:
    with migrated.engine.begin() as conn:
        for n in range(3):
            conn.execute(
                text("INSERT INTO enroll_failures (source, at, code_key) VALUES ('x', :n, 'k')"),
                {"n": n},
            )
        conn.execute(text("INSERT INTO q_pending (child_id, since) VALUES ('a', 1)"))
        conn.execute(
            text(
                "INSERT INTO notices (device_id, notice, text, created_at, document) "
                "VALUES ('d', 'revoked', 't', 'now', '\\x00')"
            )
        )


def _counts(migrated: _MigratedPostgres) -> dict[str, int]:
    with migrated.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def _oid(migrated: _MigratedPostgres) -> int:
    with migrated.engine.connect() as conn:
        return int(conn.execute(text("SELECT 'enroll_failures'::regclass::oid")).scalar_one())


def test_a_district_starts_empty_from_the_migrated_schema(
    _migrated_postgres: _MigratedPostgres,
) -> None:
    migrated = _migrated_postgres
    migrated.fresh()
    assert migrated.pristine, "the schema check answers on this server"
    table = _oid(migrated)
    _fill(migrated)
    migrated.fresh()
    assert _oid(migrated) == table  # the same table: emptied, not dropped and made again
    assert set(_counts(migrated).values()) == {0}
    with migrated.engine.connect() as conn:
        used = conn.execute(
            text("SELECT sequencename FROM pg_sequences WHERE last_value IS NOT NULL")
        ).all()
        migrations = conn.execute(text("SELECT count(*) FROM district_migrations")).scalar()
    assert used == [] and migrations
    _fill(migrated)  # numbers start again at 1, as in a new database
    with migrated.engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM enroll_failures ORDER BY id")).scalars().all()
        notice = conn.execute(text("SELECT id FROM notices")).scalar_one()
    assert ids == [1, 2, 3] and notice == 1
    migrated.fresh()
    assert set(_counts(migrated).values()) == {0}


def test_a_changed_schema_is_made_again(_migrated_postgres: _MigratedPostgres) -> None:
    migrated = _migrated_postgres
    migrated.fresh()
    pristine = migrated.pristine
    with migrated.engine.begin() as conn:
        conn.execute(text("ALTER TABLE enroll_failures ADD COLUMN extra integer"))
        conn.execute(text("CREATE INDEX enroll_failures_extra ON enroll_failures (extra)"))
    migrated.fresh()
    assert migrated.pristine == pristine
    with migrated.engine.connect() as conn:
        columns = conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'enroll_failures'"
            )
        ).scalars()
        assert "extra" not in set(columns)


def test_a_trigger_a_test_left_is_gone_for_the_next(
    _migrated_postgres: _MigratedPostgres,
) -> None:
    """A trigger on one of the tables, its function in another schema (a function in the
    public schema is seen by itself)."""
    migrated = _migrated_postgres
    migrated.fresh()
    try:
        with migrated.engine.begin() as conn:
            conn.execute(text("CREATE SCHEMA elsewhere"))
            conn.execute(
                text(
                    "CREATE FUNCTION elsewhere.refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_failures BEFORE INSERT ON enroll_failures "
                    "FOR EACH ROW EXECUTE FUNCTION elsewhere.refuse()"
                )
            )
        migrated.fresh()
        _fill(migrated)  # no trigger refuses the rows
    finally:
        with migrated.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA elsewhere CASCADE"))
        migrated.fresh()


def test_a_port_taken_before_the_cluster_binds_it_is_passed_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The suite's PostgreSQL cluster tries another port when the free one it chose was taken
    in the meantime (a flake seen under load: ``could not bind … Address already in use``)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        real = postgres_cluster.free_port
        offered = iter([taken])
        monkeypatch.setattr(postgres_cluster, "free_port", lambda: next(offered, 0) or real())
        server = postgres_cluster.PostgresServer()
        try:
            assert server.port != taken
            assert "already in use" in (server.root / "log-0").read_text()
            engine = db.make_engine(server.url)
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar_one() == 1
            engine.dispose()
        finally:
            server.stop()
