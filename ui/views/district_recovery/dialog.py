"""The recovery dialog, put together from its parts (one module each): base.py lays out the
pages and moves between them, request.py writes the request, answer.py loads the answer and
sets the new password."""

from __future__ import annotations

from ui.views.district_recovery.answer import AnswerPart
from ui.views.district_recovery.request import RequestPart


class DistrictRecoveryDialog(RequestPart, AnswerPart):
    """The three steps; ``vault`` is set (and the dialog accepted) once the vault is open."""
