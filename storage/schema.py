"""The database schema as a chain of named migrations (sqlite-utils ``Migrations``), each
applied in its own transaction and recorded in ``_sqlite_migrations``.

Add new migrations at the end; never edit an applied one. A database that records a
migration this program does not know was written by a newer version and is refused.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from storage.errors import VaultTooNewError

MIGRATION_SET = "childdesk-vault"
migrations = Migrations(MIGRATION_SET)


@migrations(name="0001_initial")
def _initial(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE revisions (
            seq INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL,
            record_type TEXT NOT NULL,
            revision INTEGER NOT NULL,
            hlc TEXT NOT NULL,
            device_id TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            is_head INTEGER NOT NULL DEFAULT 1,
            nonce BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            UNIQUE (record_id, revision)
        )
        """
    )
    db.execute("CREATE INDEX revisions_heads ON revisions (record_type) WHERE is_head = 1")
    db.execute(
        "CREATE TABLE header (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "generation INTEGER NOT NULL, body BLOB NOT NULL)"
    )
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations(name="0002_sync_outbox")
def _sync_outbox(db: Database) -> None:
    # A revision counts as sent only once a signed receipt names it (sync issue).
    db.execute("ALTER TABLE revisions ADD COLUMN receipt_id TEXT")
    db.execute("CREATE INDEX revisions_unsent ON revisions (seq) WHERE receipt_id IS NULL")


KNOWN_MIGRATIONS = tuple(m.name for m in migrations._migrations)


def check_not_newer(db: Database) -> None:
    applied = {m.name for m in migrations.applied(db)}
    unknown = sorted(applied - set(KNOWN_MIGRATIONS))
    if unknown:
        raise VaultTooNewError(
            "this vault's database was upgraded by a newer version of childdesk "
            f"(unknown schema steps: {', '.join(unknown)}); please update the program"
        )


def migrate(db: Database) -> list[str]:
    """Apply pending migrations in order; return the names applied."""
    check_not_newer(db)
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending
