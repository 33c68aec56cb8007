"""How long the access log is kept: at least 6 months (MLPS 2.0, GB/T 22239), by default 3
years. A setting of the server like the others: ``childdesk-district serve --access-log-days N``
prunes older rows when the server starts (without the option: ``$CHILDDESK_ACCESS_LOG_DAYS``,
the older way, else 3 years); ``childdesk-district access-log prune --keep-days N`` (also
spelled ``--older-than-days``) prunes on demand. Anything under 183 days, or not a whole number
of days, is refused with a message saying so (:func:`parse_days`). Plain Python, no web
imports."""

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
WHY = f"the access log is kept at least {MIN_RETENTION_DAYS} days (6 months, MLPS 2.0 / GB/T 22239)"


def check_retention(days: int) -> int:
    """``days`` when at least 183; :class:`AccountError` saying why not otherwise."""
    if days < MIN_RETENTION_DAYS:
        reason = (
            f"{days} is not a number of days to keep" if days < 1 else f"{days} days is too short"
        )
        raise AccountError(
            f"访问日志至少要保留 {MIN_RETENTION_DAYS} 天（6 个月）。", f"{reason}: {WHY}"
        )
    return days


def parse_days(text: str) -> int:
    """The retention typed by an operator (an option, the environment): a whole number of days,
    at least 183. :class:`AccountError` with the reason otherwise — ``abc`` (not a number),
    ``0``, ``-5``, ``100`` (too short)."""
    cleaned = text.strip()
    number = cleaned[1:] if cleaned.startswith("-") else cleaned
    if not number or not number.isascii() or not number.isdigit() or len(number) > 6:
        raise AccountError(
            "访问日志保留天数应为整数天数。",
            f"{text!r} is not a whole number of days (at least {MIN_RETENTION_DAYS}, "
            f"default {RETENTION_DAYS}: 3 years)",
        )
    return check_retention(int(cleaned))


def retention_from_env(environ: Mapping[str, str] | None = None) -> int:
    """The retention from ``$CHILDDESK_ACCESS_LOG_DAYS`` (default 3 years), for ``serve``
    without ``--access-log-days``; :class:`AccountError` for a value :func:`parse_days`
    refuses (its message names the variable)."""
    text = (environ if environ is not None else os.environ).get(RETENTION_ENV, "").strip()
    if not text:
        return RETENTION_DAYS
    try:
        return parse_days(text)
    except AccountError as err:
        raise AccountError(err.message_zh, f"{RETENTION_ENV}: {err.message_en}") from None


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
