"""How long the access log is kept: at least 6 months (MLPS 2.0, GB/T 22239), by default 3
years. ``childdesk-district access-log prune [--older-than-days N]`` prunes on demand; ``serve``
prunes when it starts (``$CHILDDESK_ACCESS_LOG_DAYS``, default 3 years). Anything under 183
days is refused. Plain Python, no web imports."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete

from sync.server import db
from sync.server.console import tables as t
from sync.server.console.accounts import AccountError, log_access

# MLPS 2.0 (GB/T 22239) asks for at least 6 months. Rows older than the retention are pruned
# (``childdesk-district access-log prune``, and when the server starts); never under 183 days.
RETENTION_DAYS = 3 * 365
MIN_RETENTION_DAYS = 183
RETENTION_ENV = "CHILDDESK_ACCESS_LOG_DAYS"


def check_retention(days: int) -> int:
    if days < MIN_RETENTION_DAYS:
        raise AccountError(
            f"访问日志至少要保留 {MIN_RETENTION_DAYS} 天（6 个月）。",
            f"the access log is kept at least {MIN_RETENTION_DAYS} days (6 months); "
            f"{days} is too short",
        )
    return days


def retention_from_env(environ: Mapping[str, str] | None = None) -> int:
    """The retention for ``serve`` from ``$CHILDDESK_ACCESS_LOG_DAYS`` (default 3 years);
    :class:`AccountError` for a value that is not a whole number of at least 183."""
    text = (environ if environ is not None else os.environ).get(RETENTION_ENV, "").strip()
    if not text:
        return RETENTION_DAYS
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise AccountError(
            f"{RETENTION_ENV} 应为天数。", f"{RETENTION_ENV} must be a number of days"
        )
    return check_retention(int(text))


def prune_access_log(
    engine: Engine, days: int = RETENTION_DAYS, *, now: datetime | None = None
) -> int:
    """Delete access-log rows older than ``days`` (at least 183); returns how many went. The
    pruning itself is logged (its cut-off and count; no user)."""
    check_retention(days)
    cutoff = ((now or datetime.now(UTC)) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with db.write_transaction(engine) as conn:
        removed = conn.execute(delete(t.access_log).where(t.access_log.c.at < cutoff)).rowcount
    if removed:
        log_access(engine, None, "log_prune", f"before {cutoff} rows {removed}", "ok", "server")
    return int(removed or 0)
