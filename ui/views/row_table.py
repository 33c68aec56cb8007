"""The base of the list screens' table models (children, cases): every row once, the rows a
filter accepts shown, sorted in Python by a key per column (fast enough for 10,000 rows: one
pass per change, no per-row callbacks into Qt). A subclass names its columns, its filter, its
sort keys and what a cell shows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

R = TypeVar("R")

SortKey = Callable[[Any], Any]


class RowTableModel(QAbstractTableModel, Generic[R]):
    """Rows of type ``R``: :meth:`set_rows` replaces them all, :meth:`refilter` after the
    filter changed; :meth:`row_at` is the row shown at a table row."""

    COLUMNS: ClassVar[Sequence[str]] = ()
    SORT_KEYS: ClassVar[dict[int, SortKey]] = {}
    # The order before the user sorts by a column (None: as given); a column sort applies on top.
    DEFAULT_ORDER: ClassVar[SortKey | None] = None

    def __init__(self, sort: tuple[int, Qt.SortOrder] | None = None) -> None:
        super().__init__()
        self._rows: list[R] = []
        self._visible: list[R] = []
        self._sort = sort

    # ----- for subclasses ----------------------------------------------------------------------

    def accepts(self, row: R) -> bool:
        """Whether the current filter shows ``row``."""
        return True

    def cell(self, row: R, column: int, role: int) -> Any:
        """What a cell shows for ``role`` (``None``: nothing)."""
        return None

    # ----- rows, filter and order ----------------------------------------------------------------

    def set_rows(self, rows: list[R]) -> None:
        self._rows = rows
        self.refilter()

    def refilter(self) -> None:
        """Show the rows the filter accepts, in order (the table is reset)."""
        self.beginResetModel()
        visible = [r for r in self._rows if self.accepts(r)]
        default = type(self).DEFAULT_ORDER
        if default is not None:
            visible.sort(key=default)
        if self._sort is not None:
            column, order = self._sort
            visible.sort(key=self.SORT_KEYS[column], reverse=order == Qt.SortOrder.DescendingOrder)
        self._visible = visible
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort = (column, order) if column >= 0 else None
        self.refilter()

    def all_rows(self) -> list[R]:
        """Every row, shown or not."""
        return list(self._rows)

    def rows(self) -> list[R]:
        """The rows shown, in order."""
        return list(self._visible)

    def row_at(self, row: int) -> R:
        return self._visible[row]

    # ----- Qt's model interface ----------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.row() >= len(self._visible):
            return None
        return self.cell(self._visible[index.row()], index.column(), role)
