"""tests/sync/conftest.py draws fill_vault's answer pools once per seed (issue 15): the pools a
later call gets, and the state it leaves the random generator in, are the real function's."""

from __future__ import annotations

import random
from datetime import date

from app import demo_caseload
from app.questionnaire.loader import load_default_definition

DAY = date(2026, 11, 1)


def test_pools_drawn_again_are_the_real_drawing() -> None:
    draw = demo_caseload.answer_pools.__wrapped__  # type: ignore[attr-defined]
    assert draw.__module__ == "app.demo_caseload" and not hasattr(draw, "__wrapped__")
    definition = load_default_definition()
    seed = 71  # a seed no other test uses: drawn through the memo, then remembered by it
    expected_rng = random.Random(seed)
    expected = draw(definition, expected_rng, DAY)
    for _ in range(2):
        rng = random.Random(seed)
        pools = demo_caseload.answer_pools(definition, rng, DAY)
        assert pools == expected
        assert rng.getstate() == expected_rng.getstate()
    pools["red"].clear()  # a caller changing its copy changes nothing for the next
    assert demo_caseload.answer_pools(definition, random.Random(seed), DAY) == expected
