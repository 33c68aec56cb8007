"""Calendar age (周岁): the one age function every part of the program uses (the domain reaches it
as ``app.domain.ages.calendar_age``; the questionnaire engine as ``age()``).

A child is ``n`` 周岁 from their ``n``-th birthday on, the way 民政, schools and the 身份证 count:
whole years, with the birthday itself counting as reached. Someone born on 29 February reaches
each new year of age on 1 March in common years (the day after 28 February), as 民法典 §201 counts
periods by calendar years and Chinese practice reads a missing anniversary as the next day.
"""

from __future__ import annotations

from datetime import date


def calendar_age(birth: date, on: date) -> int:
    """Whole years from ``birth`` to ``on`` (周岁); negative when ``on`` is before ``birth``.

    >>> calendar_age(date(2020, 6, 1), date(2026, 6, 1))
    6
    >>> leapling = date(2008, 2, 29)
    >>> calendar_age(leapling, date(2026, 2, 28)), calendar_age(leapling, date(2026, 3, 1))
    (17, 18)
    """
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years
