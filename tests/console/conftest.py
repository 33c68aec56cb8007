"""Console fixtures: a real ``childdesk-district serve`` on loopback (tests/console/site.py).

Console passwords are hashed with the test-only cheap Argon2id parameters, here (accounts made
and checked in the test process) and in the servers the tests start (``serving``): with the
real ones every account added, every sign-in and every password change costs ~0.25 CPU-s in
each process. tests/console/test_password_hash.py keeps checking the real parameters.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.server.console.passwords import TEST_FAST_HASH_ENV
from tests.console.site import Site, district_cli_here, running_site

# The district fixtures of tests/sync/conftest.py, defined here once for the whole folder. A
# fixture imported into a test module is that module's own: each of the twelve modules that
# imported ``pg_server`` started a PostgreSQL cluster of its own (initdb, start, migrations; all
# twelve kept running to the end of the session). The cluster itself is the root conftest's
# (tests/postgres_cluster.py): one per worker for every folder.
from tests.sync.conftest import (  # noqa: F401 - fixtures
    db_url,
    district,
    district_keys,
    make_device,
)
from tests.sync.test_district_cli import FAST_KDF, PASSPHRASE

os.environ[TEST_FAST_HASH_ENV] = "1"

_HERE = Path(__file__).resolve().parent


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own hook has tagged the grouped tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep each module of this folder that builds a server and synced data per module on one
    worker (its ``xdist_group`` mark): pytest-xdist 3.8 tags a grouped test by setting
    ``item._nodeid`` to ``<nodeid>@<group>``, which pytest 9 no longer reads (its nodeid comes
    from ``item._id``), so the tests of one module were spread over up to four workers, each
    starting its own server and syncing the same laptops again. Carry the tag over to ``_id``,
    for this folder's tests only (the rest of the suite is scheduled as before)."""
    from _pytest.nodeid import NodeId

    for item in items:
        tagged = item.__dict__.get("_nodeid")
        if not isinstance(tagged, str) or tagged == item.nodeid:
            continue
        if _HERE in Path(str(item.path)).resolve().parents:
            item._id = NodeId.parse(tagged)  # type: ignore[attr-defined]


_INITIALISED: list[Path] = []


def _district_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of a folder ``childdesk-district init`` made once per test session (in this
    process: tests/sync/test_district_cli.py runs ``init`` as the operator does)."""
    if not _INITIALISED:
        made = tmp_path_factory.mktemp("console-init") / "district"
        before = os.environ.get("CHILDDESK_DISTRICT_KDF")
        os.environ["CHILDDESK_DISTRICT_KDF"] = FAST_KDF  # what district_cli gives the process
        try:
            result = district_cli_here(
                "init", "--passphrase-stdin", data_dir=made, stdin=f"{PASSPHRASE}\n"
            )
        finally:
            if before is None:
                del os.environ["CHILDDESK_DISTRICT_KDF"]
            else:
                os.environ["CHILDDESK_DISTRICT_KDF"] = before
        assert result.returncode == 0, result.stderr
        gc.collect()  # init's engine closes its connections: the database checkpointed, as
        assert not (made / "district.db-wal").exists()  # when the process ends
        _INITIALISED.append(made)
    data_dir = tmp_path_factory.mktemp("console") / "district"
    shutil.copytree(_INITIALISED[0], data_dir)
    return data_dir


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server per test module; tests add their own accounts (unique names)."""
    with running_site(_district_folder(tmp_path_factory)) as running:
        yield running


@pytest.fixture(scope="session")
def shared_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server per worker for the modules whose tests only add accounts and sign in (each
    test its own names) and look only at their own accounts' rows: such a module overrides
    ``site`` with it. Not for tests that sync data, count all rows, or fail more sign-ins than
    the per-source limit allows (``fresh_site``)."""
    with running_site(_district_folder(tmp_path_factory)) as running:
        yield running


@pytest.fixture
def fresh_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server of this test's own."""
    with running_site(_district_folder(tmp_path_factory)) as running:
        yield running
