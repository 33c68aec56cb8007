"""The director's profile: renaming through the vault (a new revision, kept after unlocking again),
refusals in plain Chinese, other profile keys kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.problems import DomainValidationError
from app.services.profile import ProfileService
from storage.records import PROFILE_TYPE
from storage.vault import Vault
from tests.conftest import DIRECTOR, PASSWORD


def test_rename_writes_a_new_revision_that_survives_unlocking_again(
    vault: Vault, vault_dir: Path
) -> None:
    service = ProfileService(vault)
    assert service.profile()["name"] == DIRECTOR
    assert service.rename("　李 春花 ") == "李 春花"
    record_id = vault.load(PROFILE_TYPE).revisions[0].record_id
    history = vault.history(record_id)
    assert [(r.revision, r.author) for r in history] == [(1, DIRECTOR), (2, "李 春花")]
    vault.lock()
    again = Vault.unlock(vault_dir, PASSWORD)
    try:
        assert again.profile()["name"] == "李 春花"
        assert again.profile()["village_code"] == "500119104201"
        assert len(again.load(PROFILE_TYPE).revisions) == 1  # still one profile
    finally:
        again.lock()


def test_other_profile_keys_are_kept(vault: Vault) -> None:
    record_id = vault.load(PROFILE_TYPE).revisions[0].record_id
    data = dict(vault.profile(), town_name="石门镇")
    vault.put(PROFILE_TYPE, data, author=DIRECTOR, record_id=record_id)
    ProfileService(vault).rename("李春花")
    assert vault.profile() == dict(data, name="李春花")


def test_the_same_name_writes_nothing(vault: Vault) -> None:
    before = vault.last_seq()
    ProfileService(vault).rename(f" {DIRECTOR} ")
    assert vault.last_seq() == before


@pytest.mark.parametrize(
    ("name", "words"), [("   ", "请填写"), ("李" * 21, "最多"), ("李\x07", "无法显示")]
)
def test_bad_names_are_refused_in_chinese(vault: Vault, name: str, words: str) -> None:
    with pytest.raises(DomainValidationError) as caught:
        ProfileService(vault).rename(name)
    assert words in caught.value.message_zh
    assert vault.profile()["name"] == DIRECTOR


def test_village_code_is_checked(vault: Vault) -> None:
    with pytest.raises(DomainValidationError):
        ProfileService(vault).update(village_code="123")
    assert ProfileService(vault).update(village_code="500119104202")["village_code"] == (
        "500119104202"
    )
