"""Console passwords are hashed with argon2-cffi's default Argon2id parameters (RFC 9106 "low
memory": 3 passes, 64 MiB, 4 lanes). The suite's cheap parameters (the test-only
CHILDDESK_TEST_FAST_PASSWORD_HASH=1, which tests/console sets) are obeyed only when set to
exactly 1 and never in a frozen program, a server started with them says so in its log, and a
hash made with them is replaced by one with the real parameters at the next sign-in without
them: in the test process and on a real ``childdesk-district serve``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type, extract_parameters, profiles
from sqlalchemy import Engine, select

from sync.server import db
from sync.server.console import accounts, passwords
from sync.server.console import tables as t
from tests.console.site import NEW_PASSWORD, Site, csrf_of, running_site

# one worker for the module: its server and synced data are made once (conftest.py)
pytestmark = pytest.mark.xdist_group(name="console-password-hash")

ROOT = Path(__file__).resolve().parents[2]
SWITCH = "CHILDDESK_TEST_FAST_PASSWORD_HASH"
PRODUCTION = profiles.RFC_9106_LOW_MEMORY


@pytest.fixture
def site(shared_site: Site) -> Site:
    """The worker's server (conftest.py): these tests only add their own accounts."""
    return shared_site


def _stored(engine: Engine, name: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(select(t.users.c.password_hash).where(t.users.c.name == name)).scalar_one()
        )


def _is_production(stored: str) -> bool:
    found = extract_parameters(stored)
    return (found.type, found.time_cost, found.memory_cost, found.parallelism) == (
        Type.ID,
        PRODUCTION.time_cost,
        PRODUCTION.memory_cost,
        PRODUCTION.parallelism,
    )


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = db.make_engine(f"sqlite:///{tmp_path / 'district.db'}")
    db.migrate(made)
    yield made
    made.dispose()


def test_production_hashes_with_the_librarys_defaults(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert passwords.TEST_FAST_HASH_ENV == SWITCH
    monkeypatch.delenv(SWITCH, raising=False)
    default = PasswordHasher()
    hasher = passwords.password_hasher()
    assert hasher is passwords.HASHER
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (3, 65536, 4)
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.type) == (
        default.time_cost,
        default.memory_cost,
        default.parallelism,
        default.type,
    )
    assert (hasher.hash_len, hasher.salt_len) == (default.hash_len, default.salt_len)
    user, password = accounts.add_user(engine, "真参数", "partner", [])
    assert _is_production(_stored(engine, user.name))
    accounts.change_password(engine, user, password, NEW_PASSWORD, NEW_PASSWORD)
    assert _is_production(_stored(engine, user.name))
    _user, again = accounts.reset_password(engine, user.name)
    assert _is_production(_stored(engine, user.name))
    assert accounts.check_password(engine, user.name, again, "test").name == user.name


@pytest.mark.parametrize("value", ["", "0", "true", "yes", " 1", "1 "])
def test_the_switch_counts_only_as_exactly_1(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SWITCH, value)
    assert not passwords.fast_hash_for_tests()
    assert passwords.password_hasher() is passwords.HASHER


def test_the_switch_is_cheap_and_a_frozen_program_ignores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SWITCH, "1")
    cheap = passwords.password_hasher()
    assert cheap is not passwords.HASHER and cheap.time_cost == 1 and cheap.type == Type.ID
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert passwords.password_hasher() is passwords.HASHER


def test_a_cheap_hash_gets_the_real_parameters_at_the_next_sign_in(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SWITCH, "1")
    user, password = accounts.add_user(engine, "弱参数", "town", ["500119101"])
    weak = _stored(engine, user.name)
    assert not _is_production(weak) and extract_parameters(weak).time_cost == 1
    with pytest.raises(accounts.AccountError):  # a wrong password changes nothing
        accounts.check_password(engine, user.name, "not-the-password", "test")
    monkeypatch.delenv(SWITCH)
    with pytest.raises(accounts.AccountError):
        accounts.check_password(engine, user.name, "not-the-password", "test")
    assert _stored(engine, user.name) == weak
    assert accounts.check_password(engine, user.name, password, "test").name == user.name
    upgraded = _stored(engine, user.name)
    assert upgraded != weak and _is_production(upgraded)
    assert accounts.check_password(engine, user.name, password, "test").name == user.name
    assert _stored(engine, user.name) == upgraded  # once only


def test_only_the_passwords_module_reads_the_switch() -> None:
    readers = [
        path.relative_to(ROOT).as_posix()
        for folder in ("app", "ui", "storage", "sync", "resources")
        for path in (ROOT / folder).rglob("*.py")
        if SWITCH in path.read_text(encoding="utf-8")
    ]
    assert readers == ["sync/server/console/passwords.py"]
    assert SWITCH not in (ROOT / "build_installer.py").read_text("utf-8")


def test_a_server_with_the_switch_says_so_and_one_without_upgrades_at_sign_in(
    site: Site, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.console.conftest import _district_folder

    assert f"{SWITCH}=1: weak console password hashes (test runs only)" in site.serve.log_text()
    data_dir = _district_folder(tmp_path_factory)
    with running_site(data_dir, fast_password_hash=False) as plain:
        assert SWITCH not in plain.serve.log_text()
        account = plain.add("升级-参数", "partner")  # made in this process, with the switch on
        weak = _stored(plain.engine, account.name)
        assert not _is_production(weak)
        with plain.client() as client:
            page = client.get("/console/signin")
            answer = client.post(
                "/console/signin",
                data={
                    "name": account.name,
                    "password": account.password,
                    "csrf": csrf_of(page.text),
                },
            )
        assert answer.status_code == 303 and answer.headers["location"] == "/console/password"
        assert _is_production(_stored(plain.engine, account.name))
