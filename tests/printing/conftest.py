"""A vault filled with the demo caseload, shared by the printing tests of one module."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.demo_caseload import fill_vault
from storage.vault import Vault
from tests.conftest import DIRECTOR, create_vault

TODAY = date(2026, 11, 22)
VILLAGE = "500119104201"


@pytest.fixture(scope="module")
def filled_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    vault = create_vault(tmp_path_factory.mktemp("printing") / "vault").vault
    vault.put(
        "director_profile",
        {
            "name": DIRECTOR,
            "village_code": VILLAGE,
            "district_name": "南川区",
            "town_name": "罗云镇",
            "village_name": "石岗村",
        },
        author=DIRECTOR,
        record_id=vault.load("director_profile").revisions[0].record_id,
    )
    fill_vault(vault, children=40, seed=7, village_code=VILLAGE, today=TODAY, author=DIRECTOR)
    yield vault
    vault.lock()


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pdf")
