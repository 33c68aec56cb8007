"""The children and cases tables share one row-table model: filter, column sort, back to the
list's own order when the column sort is cleared, and the cells Qt asks for."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelIndex, Qt

from tests.ui.conftest import TODAY
from ui.caseload_store import CaseloadStore
from ui.desk_services import DeskServices
from ui.views.cases_page import SHOW_ALL, SHOW_OPEN, CasesModel, make_case_rows
from ui.views.children_model import CHILD_ID_ROLE, ChildrenModel, Filters, make_rows
from ui.views.row_table import RowTableModel

DESCENDING = Qt.SortOrder.DescendingOrder


def test_children_table(demo_desk: DeskServices, store: CaseloadStore) -> None:
    store.load()
    assert store.caseload is not None
    model = ChildrenModel()
    assert isinstance(model, RowTableModel)
    model.set_rows(make_rows(store.caseload.summaries.values(), demo_desk.schedule, TODAY))
    shown = model.rows()
    assert len(shown) == model.rowCount() == model.total() > 0
    dues = [r.next_due or date.max for r in shown]
    assert dues == sorted(dues)  # next visit due first

    model.sort(1, DESCENDING)
    ages = [r.age for r in model.rows()]
    assert ages == sorted(ages, reverse=True)
    model.sort(-1)  # the header's sort indicator cleared (a KeyError before)
    assert [r.next_due or date.max for r in model.rows()] == dues

    model.set_filters(Filters(overdue_only=True))
    assert 0 < model.rowCount() < len(shown)
    assert all(r.overdue for r in model.rows())
    first = model.row_at(0)
    assert model.data(model.index(0, 0)) == first.name
    assert model.data(model.index(0, 0), CHILD_ID_ROLE) == first.summary.child_id
    assert model.data(model.index(0, 6)).startswith("已逾期 ")
    assert model.headerData(7, Qt.Orientation.Horizontal) == "个案"
    assert model.rowCount(model.index(0, 0)) == 0  # a table: no children under a row
    assert model.data(QModelIndex()) is None


def test_cases_table(demo_desk: DeskServices, store: CaseloadStore) -> None:
    store.load()
    cases = demo_desk.cases.list_all()
    assert cases
    model = CasesModel()
    model.set_rows(make_case_rows(cases, store.caseload))
    model.set_filter(SHOW_ALL, None)
    everything = model.rows()
    open_first = [not r.is_open for r in everything]
    assert open_first == sorted(open_first)  # open cases before closed ones

    model.sort(3, DESCENDING)
    opened = [r.opened_on for r in model.rows()]
    assert opened == sorted(opened, reverse=True)
    model.sort(-1)
    assert model.rows() == everything

    model.set_filter(SHOW_OPEN, None)
    assert all(r.is_open for r in model.rows())
    assert model.rowCount() == len(model.rows()) <= model.total() == len(everything)
    assert model.headerData(0, Qt.Orientation.Horizontal) == "儿童"
