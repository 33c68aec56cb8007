"""Session-wide test setup: fast vault creation helpers and real temporary data folders.

Speed without weaker tests (issue 15):

- ``create_vault`` makes a real vault with the floor key derivation parameters (target 0 ms: no
  calibration run); under the test switch below that is the test floor (8 MiB, 1 pass).
- The ``created`` fixture (and, in tests/sync, ``vaults`` and ``make_device``) copies a vault
  made once per test run, shared by the xdist workers (:class:`VaultTemplates`; so are the
  filled ones, e.g. tests/printing/conftest.py's), and opens the copy with the template's
  vault key (``Vault.open_with_key``): no key derivation at all, where unlocking with the
  password would run one. Every copy handed out within one test comes from a different
  template, so two vaults of one test never share a vault id, device id or key. Tests of the
  password itself unlock with it (tests/storage/test_unlock.py).
- ``CHILDDESK_TEST_FAST_KDF=1`` (storage/crypto.py, test-only, ignored when frozen) is set for
  the whole run: the floor is the test floor (8 MiB, 1 pass: ~5 ms a derivation instead of
  ~0.2 s), and the real ``childdesk`` program started by command-line and end-to-end tests
  creates its vaults with it instead of a 500 ms calibrated derivation. The tests of the
  production floor and its refusal remove the switch (tests/storage/test_kdf_calibration.py).
- ``run_cli_in_process`` runs the ``childdesk`` command line's ``main`` in the test process, as
  ``run_cli`` runs the installed program (exit code, standard output and error, stdin), for tests
  where the separate process is not the point: each real run pays ~1-2 CPU-s of interpreter
  start and imports. Tests of a process as such (signals, kill -9, locale and environment,
  installed entry points) and one real run per command family keep ``run_cli``.
- ``run_script_in_process`` runs a benchmark script as ``__main__`` in the test process.
"""

from __future__ import annotations

import contextlib
import faulthandler
import fcntl
import gc
import hashlib
import io
import json
import logging
import os
import re
import runpy
import shutil
import subprocess
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from storage.crypto import TEST_FAST_KDF_ENV
from storage.vault import CreatedVault, Vault

# Bytecode caches (issue 15): under PYTHONDONTWRITEBYTECODE=1 every worker rewrote every test
# module's asserts again and every program the tests start compiled the project's modules again
# (~0.2 CPU-s a start); the caches go to __pycache__ (ignored by git), as Python's default.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# CHILDDESK_TEST_CPU_LOG=DIR: CPU per test; the order handed to the xdist workers
pytest_plugins = ["tests.cpu_log", "tests.ordering", "tests.shared_pools"]


def pytest_configure(config: pytest.Config) -> None:
    """Compile the project's modules once, before pytest-xdist starts its workers: from a fresh
    checkout every worker (and the first programs the tests start) compiled the same modules at
    the same moment (~1 CPU-s each). Up-to-date caches cost a look at each file's header. Test
    modules are left to pytest, which rewrites their asserts into its own caches."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    import compileall

    root = Path(__file__).resolve().parents[1]
    for folder in ("app", "ui", "sync", "storage", "resources", "bench", "tests"):
        compileall.compile_dir(
            root / folder, quiet=2, workers=2, rx=re.compile(r"(^|/)(test_[^/]*|conftest)\.py$")
        )
    _rewrite_test_modules(config, root / "tests")


def _rewrite_test_modules(config: pytest.Config, tests: Path) -> None:
    """pytest's assert rewriting of every test module and conftest, into pytest's own cache,
    once (as its import hook does: same functions, same cache file): from a fresh checkout the
    five workers rewrote each module at the same moment, ~3 CPU-s each. pytest's internals
    (pinned in pyproject.toml); should they change, the workers rewrite as before."""
    try:
        from _pytest.assertion import rewrite

        state = config.stash[rewrite.assertstate_key]
        stale: list[tuple[Path, Path]] = []
        for fn in sorted(tests.rglob("*.py")):
            if not (fn.name.startswith("test_") or fn.name == "conftest.py"):
                continue
            cache_dir = rewrite.get_cache_dir(fn)
            pyc = cache_dir / (fn.name[:-3] + rewrite.PYC_TAIL)
            if rewrite.try_makedirs(cache_dir) and rewrite._read_pyc(fn, pyc, state.trace) is None:
                stale.append((fn, pyc))
        # on both cores (a forked child takes every other file): the workers wait for this
        child = os.fork() if len(stale) > 8 else -1
        try:
            for fn, pyc in stale[(child == 0) :: 1 if child < 0 else 2]:
                source_hash, co = rewrite._rewrite_test(fn, config)
                rewrite._write_pyc(state, co, source_hash, pyc)
        finally:
            if child == 0:
                os._exit(0)
            if child > 0:
                os.waitpid(child, 0)
    except (AttributeError, ImportError, KeyError, TypeError, OSError, SyntaxError):
        return


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the imports and the collection made lives to the end of the run: keep it out of
    the full collections (~15 CPU-s of the workers' gen-2 collections in a run)."""
    gc.collect()
    gc.freeze()


# Inherited by every program the tests start (the console scripts, the e2e program).
os.environ[TEST_FAST_KDF_ENV] = "1"

PASSWORD = "river-bridge-lantern-42"
DIRECTOR = "王秀英"
VILLAGE = "500119104201"


def create_vault(path: Path, password: str = PASSWORD, **kwargs: object) -> CreatedVault:
    """A real vault with the floor KDF parameters (the test floor in this run): quick."""
    kwargs.setdefault("director_name", DIRECTOR)
    kwargs.setdefault("village_code", VILLAGE)
    return Vault.create(path, password, kdf_target_ms=0, **kwargs)  # type: ignore[arg-type]


def under_ci() -> bool:
    """CI (``.ci/run`` exports CI=1): a test that cannot set up what it needs fails there."""
    return os.environ.get("CI", "") not in ("", "0", "false")


# ----- template vaults ---------------------------------------------------------------------


@dataclass(frozen=True)
class VaultTemplate:
    folder: Path
    password: str
    recovery_code: str
    vault_key: bytes  # opens a copy without deriving the password's key


# What a template holds besides a new vault: a name (part of its key) and a function that
# fills the open vault once, when the template is made.
Filler = tuple[str, Callable[[Vault], None]]


class VaultTemplates:
    """Vaults made (locked) once per test run and copied for each test that wants one.

    The workers of one run (pytest-xdist) share them: the first worker that needs a template
    makes it in the run's shared temporary folder, holding a file lock meanwhile; the others
    wait for the lock and read what it made (folder, recovery code, vault key). Each template
    is made once per run instead of once per worker."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[tuple[str, ...], list[VaultTemplate]] = {}

    def get(
        self,
        index: int,
        *,
        password: str,
        director_name: str,
        village_code: str,
        fill: Filler | None,
    ) -> VaultTemplate:
        key = (password, director_name, village_code, fill[0] if fill else "")
        made = self._made.setdefault(key, [])
        while len(made) <= index:
            made.append(self._shared(key, len(made), fill))
        return made[index]

    def _shared(self, key: tuple[str, ...], index: int, fill: Filler | None) -> VaultTemplate:
        password, director_name, village_code, _fill_name = key
        name = "template-" + hashlib.sha256(json.dumps([*key, index]).encode()).hexdigest()[:16]
        folder, about = self.root / name, self.root / f"{name}.json"
        with (self.root / f"{name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not about.exists():  # no other worker made it: make it here
                partial = self.root / f"{name}.partial"
                shutil.rmtree(partial, ignore_errors=True)  # a worker that failed half-way
                created = create_vault(
                    partial, password, director_name=director_name, village_code=village_code
                )
                try:
                    if fill is not None:
                        fill[1](created.vault)
                    vault_key = created.vault.export_key()
                finally:
                    created.vault.lock()
                partial.rename(folder)
                written = {"recovery_code": created.recovery_code, "vault_key": vault_key.hex()}
                half = self.root / f"{name}.json.partial"
                half.write_text(json.dumps(written), encoding="utf-8")
                half.rename(about)
        data = json.loads(about.read_text(encoding="utf-8"))
        return VaultTemplate(
            folder, password, data["recovery_code"], bytes.fromhex(data["vault_key"])
        )


class VaultCopies:
    """One test's copies of template vaults: the n-th copy of a kind is made from the n-th
    template of that kind, so copies within a test are different vaults."""

    def __init__(self, templates: VaultTemplates) -> None:
        self.templates = templates
        self.taken: Counter[tuple[str, ...]] = Counter()
        self.opened: list[Vault] = []

    def open(
        self,
        folder: Path,
        password: str = PASSWORD,
        *,
        director_name: str = DIRECTOR,
        village_code: str = VILLAGE,
        fill: Filler | None = None,
    ) -> CreatedVault:
        """Like ``create_vault(folder, ...)``: an open vault in ``folder`` and its recovery
        code (``folder`` must not exist yet)."""
        key = (password, director_name, village_code, fill[0] if fill else "")
        index = self.taken[key]
        self.taken[key] += 1
        template = self.templates.get(
            index,
            password=password,
            director_name=director_name,
            village_code=village_code,
            fill=fill,
        )
        shutil.copytree(template.folder, folder)
        vault = Vault.open_with_key(folder, template.vault_key)
        self.opened.append(vault)
        return CreatedVault(vault, template.recovery_code)

    def lock_all(self) -> None:
        for vault in self.opened:
            if not vault.is_locked:
                vault.lock()


@pytest.fixture(scope="session")
def vault_templates(tmp_path_factory: pytest.TempPathFactory) -> VaultTemplates:
    base = tmp_path_factory.getbasetemp()
    # Under pytest-xdist each worker's folder is popen-gwN inside the run's folder: share that.
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "vault-templates"
    root.mkdir(exist_ok=True)
    return VaultTemplates(root)


@pytest.fixture
def vault_copies(vault_templates: VaultTemplates) -> Iterator[VaultCopies]:
    copies = VaultCopies(vault_templates)
    yield copies
    copies.lock_all()


# ----- the vault of a test -----------------------------------------------------------------


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault"


@pytest.fixture
def created(vault_dir: Path, vault_copies: VaultCopies) -> Iterator[CreatedVault]:
    """A new vault in ``vault_dir`` (password ``PASSWORD``, director ``DIRECTOR``)."""
    created = vault_copies.open(vault_dir)
    yield created
    created.vault.lock()


@pytest.fixture
def vault(created: CreatedVault) -> Vault:
    return created.vault


def childdesk_executable() -> str:
    exe = Path(sys.executable).with_name("childdesk")
    if exe.exists():
        return str(exe)
    found = shutil.which("childdesk")
    assert found, "the childdesk console script is not installed (run ./setup.sh)"
    return found


def run_cli(
    *args: str, stdin: str = "", data_dir: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``childdesk [--data-dir DIR] ARGS`` as a real process (the installed console script)."""
    argv = [childdesk_executable()]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    return subprocess.run(
        [*argv, *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )


# What a new ``python`` process starts with (``warnings.filters`` of a release build without
# -W options): the warnings an in-process run shows on its standard error are the ones the real
# program would show.
_PROCESS_WARNING_FILTERS: tuple[tuple[str, type[Warning], str], ...] = (
    ("default", DeprecationWarning, "__main__"),
    ("ignore", DeprecationWarning, ""),
    ("ignore", PendingDeprecationWarning, ""),
    ("ignore", ImportWarning, ""),
    ("ignore", ResourceWarning, ""),
)


def _our_loggers_with_handlers() -> dict[str, list[logging.Handler]]:
    """The program's own loggers (``childdesk.*``) that have handlers (libraries may add
    theirs once, on import, as they would in the program)."""
    return {
        name: list(logger.handlers)
        for name, logger in list(logging.Logger.manager.loggerDict.items())
        if name.split(".")[0] == "childdesk"
        and isinstance(logger, logging.Logger)
        and logger.handlers
    }


def run_cli_in_process(
    *args: str,
    stdin: str = "",
    data_dir: Path | None = None,
    timeout: float = 60,
    env: dict[str, str | None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """What :func:`run_cli` gives, without starting a process: the console script's
    ``ui.launcher.main(argv)`` in this process (issue 15: each real run pays ~1-2 CPU-s of
    interpreter start and imports). For tests where the separate process is not the point.

    As the process would: ``stdin`` is read through a UTF-8 text stream; standard output and
    error are UTF-8 byte streams read back as text with universal newlines; the exit code is
    ``main``'s return value or a ``SystemExit``'s (argparse's usage errors); ``env`` sets
    (a string) or removes (None) environment variables for the run only; log records reach
    standard error as in a program without logging set-up (Python's last-resort handler,
    WARNING and up: the test run's handlers are set aside meanwhile); warnings are shown
    there under a new process's default filters. The run may add no handler to the program's
    own loggers (a process drops it on exit; here it would leak into the next run): that
    fails the test. A run longer than ``timeout`` seconds (a hang, where the real run would
    time out) ends the test process, printing every thread's traceback (``faulthandler``)."""
    from ui.launcher import main

    argv = ["--data-dir", str(data_dir), *args] if data_dir is not None else list(args)
    return run_main_in_process(main, argv, "childdesk", stdin=stdin, env=env, timeout=timeout)


def run_main_in_process(
    main: Callable[[list[str]], object],
    argv: list[str],
    program: str,
    *,
    stdin: str = "",
    env: dict[str, str | None] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """A console script's ``main(argv)`` run in this process as :func:`run_cli_in_process`
    describes (streams, exit code, environment, logging, warnings, leaked handlers, hangs);
    ``program`` names it in the result's ``args``. tests/sync/test_district_cli.py's
    ``district_cli_in_process`` runs ``childdesk-district`` through it too."""
    stdin_stream = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8")
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out_bytes, encoding="utf-8", write_through=True)
    stderr = io.TextIOWrapper(
        err_bytes, encoding="utf-8", errors="backslashreplace", write_through=True
    )
    saved_env = {name: os.environ.get(name) for name in env or {}}
    root = logging.getLogger()
    root_handlers, root_level = root.handlers[:], root.level
    handlers_before = _our_loggers_with_handlers()
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    try:
        for name, value in (env or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        root.handlers = []
        faulthandler.dump_traceback_later(timeout, exit=True, file=sys.__stderr__)
        sys.stdin, sys.stdout, sys.stderr = stdin_stream, stdout, stderr
        with warnings.catch_warnings():
            warnings.resetwarnings()
            for action, category, module in reversed(_PROCESS_WARNING_FILTERS):
                warnings.filterwarnings(action, category=category, module=module)  # type: ignore[arg-type]
            try:
                code: object = main(argv)
            except SystemExit as exit_:
                code = exit_.code
        if code is None:
            returncode = 0
        elif isinstance(code, int):
            returncode = code
        else:  # sys.exit("message"): the message on standard error, exit status 1
            print(code, file=sys.stderr)
            returncode = 1
        stdout.flush()
        stderr.flush()
    finally:
        faulthandler.cancel_dump_traceback_later()
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        added = {
            name: [h for h in handlers if h not in handlers_before.get(name, [])]
            for name, handlers in _our_loggers_with_handlers().items()
        }
        root.handlers, root.level = root_handlers, root_level
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    leaked = {name: handlers for name, handlers in added.items() if handlers}
    assert not leaked, f"the command line left logging handlers behind: {leaked}"

    def text(data: bytes) -> str:  # as subprocess.run(text=True) reads a pipe
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict").read()

    return subprocess.CompletedProcess(
        [program, *argv], returncode, text(out_bytes.getvalue()), text(err_bytes.getvalue())
    )


def run_script_in_process(script: Path, *args: str) -> str:
    """``python SCRIPT ARGS`` run as ``__main__`` in this process (a benchmark: its work, not
    a new interpreter's start and imports, is what a test of it wants); its standard output.
    A non-zero exit fails the test, as ``subprocess.run(check=True)`` would."""
    out = io.StringIO()
    saved_argv = sys.argv
    sys.argv = [str(script), *args]
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exit_:
        assert exit_.code in (None, 0), f"{script.name} exited with {exit_.code!r}"
    finally:
        sys.argv = saved_argv
    return out.getvalue()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 3 MiB filesystem (tmpfs) to fill up; needs root, as CI and the dev machines have.
    Where it cannot be mounted the test is skipped, except under CI, where that is a failure."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        message = f"cannot mount a small tmpfs here: {result.stderr.decode().strip()}"
        if under_ci():
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


# The suite's PostgreSQL cluster, one per test process for every folder (tests/postgres_cluster.py
# says why it is registered here and nowhere else).
from tests.postgres_cluster import _migrated_postgres, pg_server  # noqa: E402, F401 - fixtures
