"""Calendar age (周岁) for the domain: the same function the questionnaire's ``age()`` uses
(defined in the engine, which imports nothing of the domain; see ``app/questionnaire/ages.py``)."""

from __future__ import annotations

from app.questionnaire.ages import calendar_age

__all__ = ["calendar_age"]
