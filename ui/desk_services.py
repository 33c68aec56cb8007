"""The services the screens use, built once after unlock (the composition root hands each
screen only the ones it needs). Everything here is plain app/ code; vault calls go through the
serial ``runner``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from app.domain.schedule import VisitSchedule
from app.domain.working_days import calendar_from_data
from app.questionnaire import Definition
from app.registers.service import RegisterImport
from app.services.account import AccountService
from app.services.activities import ActivityService
from app.services.assessments import AssessmentService
from app.services.backups import BackupService
from app.services.cases import CaseService
from app.services.child_reading import ChildReading
from app.services.children import ChildService
from app.services.definitions import DefinitionService
from app.services.printouts import PrintService
from app.services.profile import ProfileService
from app.services.reports import ReportService
from app.services.screening import ReferralService, ScreeningService
from app.services.transition_plans import TransitionPlanService
from app.services.typical_cases import TypicalCaseService
from app.services.visits import VisitService
from app.services.workflows import CALENDAR_KIND, WorkflowService
from app.services.year_summaries import YearSummaryService
from storage.vault import Vault
from sync.laptop.engine import LaptopSync
from ui.tasks import Runner


@dataclass
class _AssessmentsHolder:
    """The assessment service, rebuilt when the district's definitions change (a sync can
    install a questionnaire version while the window is open)."""

    service: AssessmentService | None = None
    generation: int = -1


@dataclass
class _ScreeningsHolder:
    """The screening service, rebuilt when the district's definitions change (it knows every
    questionnaire version, the screening's among them)."""

    service: ScreeningService | None = None
    generation: int = -1


@dataclass
class _WorkflowsHolder:
    """The workflow service, rebuilt when the district's definitions change (a sync can
    install next year's working-day calendar while the window is open)."""

    service: WorkflowService | None = None
    generation: int = -1


@dataclass(frozen=True)
class DeskServices:
    vault: Vault
    runner: Runner
    author: str
    village_code: str
    today: Callable[[], date]
    children: ChildService
    visits: VisitService
    cases: CaseService
    definitions: DefinitionService  # which questionnaire and schedule rules are current
    profile: ProfileService  # the director's name (设置)
    account: AccountService  # password and recovery code (设置)
    backups: BackupService  # 备份到U盘 (设置)
    printouts: PrintService  # a child's records and the blank forms, as PDF
    reading: ChildReading  # a child's timeline and attachments
    reports: ReportService  # the records the monthly report counts
    registers: RegisterImport  # 导入台账
    activities: ActivityService  # 活动 with attendance
    transition_plans: TransitionPlanService  # 转衔计划 from 16
    referrals: ReferralService  # the referrals a 建议转介 screening made
    typical_cases: TypicalCaseService  # 典型案例 (年度总结)
    year_summaries: YearSummaryService  # 年度总结: figures and the printed summary
    _assessments: _AssessmentsHolder = field(default_factory=_AssessmentsHolder, repr=False)
    _workflows: _WorkflowsHolder = field(default_factory=_WorkflowsHolder, repr=False)
    _screenings: _ScreeningsHolder = field(default_factory=_ScreeningsHolder, repr=False)

    @property
    def schedule(self) -> VisitSchedule:
        """The visit schedule in force: the district's newest rules, else the bundled ones."""
        return self.definitions.schedule()

    @property
    def definition(self) -> Definition:
        """The questionnaire new assessments use (the newest version installed here)."""
        return self.definitions.questionnaire()

    @property
    def assessments(self) -> AssessmentService:
        """Knows every questionnaire version on this laptop, so an assessment keeps loading
        with the version it was started with."""
        holder = self._assessments
        known = self.definitions.questionnaires()
        if holder.service is None or holder.generation != self.definitions.generation:
            holder.service = AssessmentService(
                self.vault, known, author=self.author, today=self.today
            )
            holder.generation = self.definitions.generation
        return holder.service

    @property
    def screenings(self) -> ScreeningService:
        """心理状况筛查 (issue 19), over every questionnaire version on this laptop (a screening
        keeps loading with the version it was started with)."""
        holder = self._screenings
        if holder.service is None or holder.generation != self.definitions.generation:
            holder.service = ScreeningService(
                self.vault,
                self.definitions.questionnaires(),
                author=self.author,
                today=self.today,
            )
            holder.generation = self.definitions.generation
        return holder.service

    @property
    def workflows(self) -> WorkflowService:
        """强制报告, 认定申请 and 个案会商 (issue 17). The working-day calendar is the package's
        plus the years the district published, as ``installed_calendar(vault)`` reads them —
        taken here from the definitions already read on the vault worker, so asking for the
        service never touches the vault; its methods do (call them on the runner)."""
        holder = self._workflows
        if holder.service is None or holder.generation != self.definitions.generation:
            entries = [d.body for d in self.definitions.installed() if d.kind == CALENDAR_KIND]
            holder.service = WorkflowService(
                self.vault,
                author=self.author,
                today=self.today,
                calendar=calendar_from_data(entries),
            )
            holder.generation = self.definitions.generation
        return holder.service

    def laptop_sync(self) -> LaptopSync:
        """A sync engine over this vault (for the 同步 page's controller)."""
        return LaptopSync(self.vault, author=self.author)

    def refresh_definitions(self) -> bool:
        """Vault worker: read what a sync installed, and parse the current ones here rather
        than on the GUI thread's next look."""
        changed = self.definitions.refresh()
        if changed:
            self.definitions.schedule()
            self.definitions.questionnaire()
        return changed

    @classmethod
    def for_vault(
        cls, vault: Vault, runner: Runner, today: Callable[[], date] = date.today
    ) -> DeskServices:
        """Call on the vault worker (reads the profile and the installed definitions)."""
        profile = vault.profile()
        author = str(profile.get("name") or "儿童主任")
        definitions = DefinitionService(vault, follow_vault=False)  # refreshed on the worker
        definitions.refresh()
        definitions.schedule()
        definitions.questionnaire()
        return cls(
            vault=vault,
            runner=runner,
            author=author,
            village_code=str(profile.get("village_code") or ""),
            today=today,
            children=ChildService(vault, author=author, today=today),
            visits=VisitService(vault, author=author, today=today),
            cases=CaseService(vault, author=author, today=today),
            definitions=definitions,
            profile=ProfileService(vault),
            account=AccountService(vault),
            backups=BackupService(vault),
            printouts=PrintService(vault),
            reading=ChildReading(vault),
            reports=ReportService(vault),
            registers=RegisterImport(vault, author=author, today=today),
            activities=ActivityService(vault, author=author, today=today),
            transition_plans=TransitionPlanService(vault, author=author, today=today),
            referrals=ReferralService(vault, author=author, today=today),
            typical_cases=TypicalCaseService(vault, author=author, today=today),
            year_summaries=YearSummaryService(vault, today=today),
        )
