"""Which questionnaire definition and which visit-schedule rules are current: the one place
that decides (docs/sync-protocol.md §14, "Definitions").

The district publishes new questionnaire versions, schedule rules and calendar years (kind
``calendar``, name ``working_days``: a year's holidays and 调休 days as
``YearCalendar.to_data()``, published when a district user saves the year in the console;
``app.services.workflows.installed_calendar`` counts working days with them); sync checks each with
:func:`check_published` and installs the good ones in the vault (``storage.definitions_store``).
:class:`DefinitionService` is built with the vault and handed to whoever needs a definition —
the GUI's services (``ui/desk_services.py``), the command line — never a global:

- the **current schedule** is the newest installed schedule rules that pass the check, else the
  bundled ``resources/schedule/visit_schedule.json``;
- the **current questionnaire** of an id is the newest installed version of that id that passes
  the check, else the bundled one; new assessments use it;
- :meth:`DefinitionService.questionnaires` lists every version known here (bundled and every
  installed one), so an assessment keeps the version it was started with, loads and prints.

"Newest" is the district's publication order (``InstalledDefinition.order``), not a comparison of
version strings: what the district published last is what it wants used, even a roll-back.
Installed definitions are re-checked when read, so one that stopped passing the checks (a newer
program with stricter rules) is skipped and the next older one, or the bundled one, is used.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from app.domain.schedule import ScheduleDefinitionError, VisitSchedule, load_schedule
from app.domain.schedule import schedule_from_json as _schedule_from_json
from app.domain.working_days import YearCalendar
from app.questionnaire import Definition, DefinitionError
from app.questionnaire.loader import definition_from_json, load_bundled_definitions
from storage import definitions_store
from storage.definitions_store import InstalledDefinition
from storage.vault import Vault

log = logging.getLogger("childdesk.definitions")

QUESTIONNAIRE = "questionnaire"
SCHEDULE = "schedule"
CALENDAR = "calendar"
KINDS = (QUESTIONNAIRE, SCHEDULE, CALENDAR)
SCHEDULE_NAME = "visit_schedule"  # the name the district publishes schedule rules under
CALENDAR_NAME = "working_days"  # the name the district publishes calendar years under

Published = Definition | VisitSchedule | YearCalendar
MAX_NAME = 100


class PublishedDefinitionError(ValueError):
    """A published definition that does not pass the checks (English message, no data)."""


def calendar_version(year: int, number: int) -> str:
    """The version a calendar year is published under: the year and its publication number
    (``2027.1``, ``2027.2`` after a correction)."""
    return f"{year}.{number}"


def parse_published(kind: str, name: str, version: str, body: Any) -> Published:
    """The checked definition, schedule or calendar year for a published body, or
    PublishedDefinitionError. The same checks run when the district publishes and when a laptop
    installs or uses it."""
    if kind not in KINDS:
        raise PublishedDefinitionError(f"unknown definition kind {kind!r}")
    if not name or len(name) > MAX_NAME or not version or len(version) > MAX_NAME:
        raise PublishedDefinitionError("the name or version is empty or too long")
    if not isinstance(body, dict):
        raise PublishedDefinitionError("the body is not a JSON object")
    if kind == QUESTIONNAIRE:
        try:
            definition = definition_from_json(body, source=f"{name} {version}")
        except DefinitionError as err:
            raise PublishedDefinitionError(f"the questionnaire is not valid: {err}") from None
        if definition.id != name or definition.version != version:
            raise PublishedDefinitionError(
                f"the questionnaire says {definition.id} version {definition.version}, "
                f"published as {name} version {version}"
            )
        return definition
    if kind == CALENDAR:
        return _parse_calendar(name, version, body)
    try:
        schedule = _schedule_from_json(body)
    except ScheduleDefinitionError as err:
        raise PublishedDefinitionError(f"the schedule rules are not valid: {err}") from None
    if schedule.version != version:
        raise PublishedDefinitionError(
            f"the schedule rules say version {schedule.version}, published as {version}"
        )
    return schedule


def _parse_calendar(name: str, version: str, body: dict[str, Any]) -> YearCalendar:
    if name != CALENDAR_NAME:
        raise PublishedDefinitionError(f"a calendar year is published as {CALENDAR_NAME}")
    try:
        year = YearCalendar.from_data(body)
    except (ValueError, TypeError) as err:
        raise PublishedDefinitionError(f"the calendar year is not valid: {err}") from None
    if version.split(".", 1)[0] != str(year.year):
        raise PublishedDefinitionError(
            f"the calendar says year {year.year}, published as version {version}"
        )
    return year


def check_published(kind: str, name: str, version: str, body: Any) -> str | None:
    """None when the published definition may be installed, else the problem (English)."""
    try:
        parse_published(kind, name, version, body)
    except PublishedDefinitionError as err:
        return str(err)
    return None


def kind_zh(kind: str) -> str:
    names = {QUESTIONNAIRE: "评估表", SCHEDULE: "走访频次规则", CALENDAR: "工作日历"}
    return names.get(kind, "规则")


class DefinitionService:
    """The current definitions of one vault (see the module's docstring).

    Reading methods look for newly installed definitions each time — a cheap query of
    plaintext metadata; the records are decrypted only when something changed — and never wait
    for the vault: called while another thread is using the vault, they answer with what they
    had (the next call looks again). :meth:`refresh` looks and waits.

    With ``follow_vault=False`` (the desktop app) reading methods never touch the vault: they
    answer from memory, and the owner calls :meth:`refresh` on the vault's own worker (after
    unlocking and after each sync), so the GUI thread never reads the vault.
    """

    def __init__(
        self,
        vault: Vault | None,
        *,
        bundled_questionnaires: Sequence[Definition] | None = None,
        bundled_schedule: VisitSchedule | None = None,
        follow_vault: bool = True,
    ) -> None:
        self._vault = vault
        self._follow_vault = follow_vault
        self._bundled_questionnaires = (
            list(bundled_questionnaires)
            if bundled_questionnaires is not None
            else load_bundled_definitions()
        )
        self._bundled_schedule = bundled_schedule
        self._fingerprint: tuple[int, int] | None = None
        self._installed: list[InstalledDefinition] = []
        self._schedule: VisitSchedule | None = None
        self._questionnaires: dict[tuple[str, str], Definition] | None = None
        self._current: dict[str, Definition] = {}
        self._parsed: dict[str, Published | None] = {}  # by record id
        self.generation = 0  # grows whenever the installed definitions changed
        self._lock = threading.RLock()  # the GUI thread and the vault worker both read

    # ----- looking for changes ------------------------------------------------------------

    def refresh(self, *, wait: bool = True) -> bool:
        """Read newly installed definitions (vault work); True when something changed."""
        with self._lock:
            if self._vault is None:
                return False
            first = self._fingerprint is None
            found = definitions_store.changed_since(
                self._vault, self._fingerprint, wait=wait or first
            )
            if found is None:
                return False
            self._fingerprint, self._installed = found
            self._schedule = None
            self._questionnaires = None
            self._current = {}
            self.generation += 1
            return True

    def _look_again(self) -> None:
        if self._follow_vault:
            self.refresh(wait=False)

    def installed(self) -> list[InstalledDefinition]:
        """Every installed version, oldest first (valid or not)."""
        with self._lock:
            self._look_again()
            return list(self._installed)

    # ----- the schedule -------------------------------------------------------------------

    def bundled_schedule(self) -> VisitSchedule:
        if self._bundled_schedule is None:
            self._bundled_schedule = load_schedule()
        return self._bundled_schedule

    def schedule(self) -> VisitSchedule:
        """The newest valid installed schedule rules, else the bundled ones."""
        with self._lock:
            self._look_again()
            if self._schedule is None:
                chosen: VisitSchedule | None = None
                for item in reversed(self._installed):
                    if item.kind != SCHEDULE:
                        continue
                    parsed = self._parse(item)
                    if isinstance(parsed, VisitSchedule):
                        chosen = parsed
                        break
                self._schedule = chosen or self.bundled_schedule()
            return self._schedule

    # ----- questionnaires -----------------------------------------------------------------

    def default_questionnaire_id(self) -> str:
        return self._bundled_questionnaires[0].id if self._bundled_questionnaires else ""

    def questionnaire(self, definition_id: str | None = None) -> Definition:
        """The definition new assessments use: the newest valid installed version of this id
        (default: the bundled instrument's id), else the bundled one. KeyError when neither."""
        with self._lock:
            self._look_again()
            wanted = definition_id or self.default_questionnaire_id()
            if wanted not in self._current:
                chosen: Definition | None = None
                for item in reversed(self._installed):
                    if item.kind == QUESTIONNAIRE and item.name == wanted:
                        parsed = self._parse(item)
                        if isinstance(parsed, Definition):
                            chosen = parsed
                            break
                if chosen is None:
                    chosen = next((d for d in self._bundled_questionnaires if d.id == wanted), None)
                if chosen is None:
                    raise KeyError(f"no questionnaire {wanted!r}")
                self._current[wanted] = chosen
            return self._current[wanted]

    def questionnaires(self) -> list[Definition]:
        """Every version known on this laptop — bundled, then installed oldest first — so an
        assessment finds the version it was made with. For one id and version, the installed
        copy (the district's) wins over the bundled one."""
        with self._lock:
            self._look_again()
            if self._questionnaires is None:
                known = {(d.id, d.version): d for d in self._bundled_questionnaires}
                for item in self._installed:
                    if item.kind == QUESTIONNAIRE:
                        parsed = self._parse(item)
                        if isinstance(parsed, Definition):
                            known[(parsed.id, parsed.version)] = parsed
                self._questionnaires = known
            return list(self._questionnaires.values())

    # ----- helpers ------------------------------------------------------------------------

    def _parse(self, item: InstalledDefinition) -> Published | None:
        cache = self._parsed
        if item.record_id not in cache:
            try:
                cache[item.record_id] = parse_published(
                    item.kind, item.name, item.version, item.body
                )
            except PublishedDefinitionError as err:
                log.warning(
                    "installed %s %s version %s is not usable (%s); an older one is used",
                    item.kind,
                    item.name,
                    item.version,
                    err,
                )
                cache[item.record_id] = None
        result: Published | None = cache[item.record_id]
        return result
