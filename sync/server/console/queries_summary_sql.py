"""年度汇总's figures counted in SQL (issue 19 at city scale, issue 16): the figures of
:func:`app.services.year_summary.year_summary` for a scope and a period, counted by the
database over the query tables and the records (GROUP BY, for SQLite and PostgreSQL) instead
of decoding every record of the scope in Python. A test holds the two equal on synced data.

This module assembles the summary from its sections, each a module of statements:

- :mod:`summary_sql_children`: children followed, categories, levels, caring mothers,
  事实无人抚养 at the end; level changes and assessments.
- :mod:`summary_sql_visits`: visit records, children visited, by form; the visits due and
  done month by month where the query tables answer them, and the months, by child, where
  they may not — counted in Python by :mod:`summary_sql_months` with the laptop's own rule
  (:mod:`app.domain.visit_months`).
- :mod:`summary_sql_records`: cases; the few records read whole in Python (强制报告 filed,
  recognition steps, screenings and referrals, typical cases); the youths who turned 18.
- :mod:`summary_sql_fields`: what the statements share (JSON fields per dialect, the scope's
  records, the scope's children and finished assessments).

``damaged`` counts the records read in Python that do not read; records counted in SQL are
counted by the fields the figures need (a record whose other fields are broken counts).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import Connection

from app.domain.activity import Activity, activity_figures
from app.domain.categories import ChildCategory
from app.domain.schedule import LEVELS, VisitSchedule
from app.domain.visit_months import counted_months
from app.services.year_summary import Period, SummaryRecords, YearSummary, year_summary
from sync.server.console.scope import Scope
from sync.server.console.summary_sql_children import children_figures, level_changes
from sync.server.console.summary_sql_months import python_months as _python_months
from sync.server.console.summary_sql_records import (
    ageing_out,
    case_figures,
    few_records,
    newest_plans,
)
from sync.server.console.summary_sql_visits import due_counts, visit_figures

__all__ = ["newest_plans", "sql_year_summary"]


def sql_year_summary(
    conn: Connection,
    scope: Scope,
    period: Period,
    *,
    today: date,
    schedule: VisitSchedule,
    activities: list[Activity],
) -> YearSummary:
    """:func:`app.services.year_summary.year_summary` of the scope's records, counted in SQL
    (see the module docstring). ``activities``: the scope's activities (read by the caller).
    Raises :class:`MonthError` for a period that has not begun. A partner (roster) user's
    scope holds no child: the laptop's function over no record but the activities."""
    first, last = period.first_day, period.last_day
    period.check_begun(today)
    if scope.role == "partner":
        nothing = replace(SummaryRecords.from_rows(()), activities=list(activities))
        return year_summary(nothing, period, today=today, schedule=schedule)
    as_of = min(last, today)
    kids = children_figures(conn, scope, first, as_of)
    changes, red_down, assessments, children_assessed = level_changes(conn, scope, first, as_of)
    months = counted_months(period.months(), today)
    due, wanted = due_counts(conn, scope, months, today)
    more, damaged_children = _python_months(conn, scope, wanted, months, schedule)
    due.update(more)
    visit_records, children_visited, by_form = visit_figures(conn, scope, first, as_of)
    kinds, open_at_end, case_reports, escalations = case_figures(conn, scope, first, as_of)
    few = few_records(conn, scope, first, last, as_of)
    turned, turned_by_status, archived, handed_over = ageing_out(conn, scope, first, as_of)
    return YearSummary(
        period=period,
        today=today,
        as_of=as_of,
        children_start=kids.start,
        children_end=kids.end,
        categories_start={c.value: kids.categories_start.get(c.value, 0) for c in ChildCategory},
        categories_end={c.value: kids.categories_end.get(c.value, 0) for c in ChildCategory},
        levels_start={k: kids.levels_start.get(k, 0) for k in (*LEVELS, "none")},
        levels_end={k: kids.levels_end.get(k, 0) for k in (*LEVELS, "none")},
        changes=changes,
        red_downgraded=red_down,
        visits_due=due["due"],
        visits_done=due["on_time"] + due["late"],
        visits_on_time=due["on_time"],
        visits_overdue=due["overdue"],
        visits_pending=due["pending"],
        visit_records=visit_records,
        children_visited=children_visited,
        visits_by_form=by_form,
        assessments=assessments,
        children_assessed=children_assessed,
        cases_by_kind=kinds,
        cases_open_at_end=open_at_end,
        reports_filed=few.reports_filed,
        case_reports=case_reports,
        escalations=escalations,
        recognitions_submitted=few.steps.get("submit", 0),
        recognitions_confirmed=few.steps.get("confirm", 0),
        recognitions_refused=few.steps.get("refuse", 0) + few.steps.get("refuse_town", 0),
        de_facto_at_end=kids.de_facto_end,
        activities=activity_figures(activities, first, as_of),
        caring_mother_paired=kids.paired,
        caring_mother_red_orange=(kids.paired_heavy, kids.heavy),
        turned_18=turned,
        turned_18_by_status=turned_by_status,
        archived_18=archived,
        archived_18_handed_over=handed_over,
        screening=few.screening,
        typical_cases=few.typical,
        damaged=len(few.damaged) + len(damaged_children),
    )
