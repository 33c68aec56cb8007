"""A vault filled with the demo caseload, shared by the printing tests of one module (a copy of
one made once per session)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.demo_caseload import fill_vault
from storage.vault import Vault
from tests.conftest import DIRECTOR, PASSWORD, VaultTemplates

TODAY = date(2026, 11, 22)
VILLAGE = "500119104201"


def _fill(vault: Vault) -> None:
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


@pytest.fixture(scope="module")
def filled_vault(
    tmp_path_factory: pytest.TempPathFactory, vault_templates: VaultTemplates
) -> Iterator[Vault]:
    """A copy of the session's filled vault (made once, tests/conftest.py), for this module."""
    template = vault_templates.get(
        0,
        password=PASSWORD,
        director_name=DIRECTOR,
        village_code=VILLAGE,
        fill=("printing-profile-demo-40-seed-7", _fill),
    )
    folder = tmp_path_factory.mktemp("printing") / "vault"
    shutil.copytree(template.folder, folder)
    vault = Vault.unlock(folder, PASSWORD)
    yield vault
    vault.lock()


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pdf")
