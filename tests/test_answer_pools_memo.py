"""app/demo_caseload.answer_pools draws the bundled questionnaire's pools once per generator state
(issue 15: tests fill many vaults from a handful of seeds): the pools a later call gets, and the
state it leaves the random generator in, are the real drawing's."""

from __future__ import annotations

import random
from datetime import date

from app import demo_caseload
from app.questionnaire.loader import load_default_definition

DAY = date(2026, 11, 1)


def test_pools_drawn_again_are_the_real_drawing() -> None:
    definition = load_default_definition()
    seed = 71  # a seed no other test uses: drawn through the memo, then remembered by it
    expected_rng = random.Random(seed)
    expected = demo_caseload.draw_answer_pools(definition, expected_rng, DAY)
    for _ in range(2):
        rng = random.Random(seed)
        pools = demo_caseload.answer_pools(definition, rng, DAY)
        assert pools == expected
        assert rng.getstate() == expected_rng.getstate()
    pools["red"].clear()  # a caller changing its copy changes nothing for the next
    assert demo_caseload.answer_pools(definition, random.Random(seed), DAY) == expected


def test_another_definition_is_drawn_every_time() -> None:
    import dataclasses

    definition = dataclasses.replace(load_default_definition(), source="elsewhere.json")
    before = len(demo_caseload._DRAWN)
    rng = random.Random(72)
    expected_rng = random.Random(72)
    assert demo_caseload.answer_pools(definition, rng, DAY) == demo_caseload.draw_answer_pools(
        definition, expected_rng, DAY
    )
    assert rng.getstate() == expected_rng.getstate()
    assert len(demo_caseload._DRAWN) == before
