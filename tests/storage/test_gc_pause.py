"""The collector's pauses (storage/gc_pause.py): restored as they were, and no collector pass
while a district command's modules load."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from storage.gc_pause import gc_paused, imports_paused


@pytest.mark.parametrize("pause", [gc_paused, imports_paused])
def test_a_pause_restores_the_collector_as_it_was(pause: object) -> None:
    assert gc.isenabled()
    with pause():  # type: ignore[operator]
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), pause():  # type: ignore[operator]
        raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with pause():  # type: ignore[operator]
            pass
        assert not gc.isenabled()  # left off by whoever turned it off
    finally:
        gc.enable()


_COUNT_PASSES = (
    "import gc, sys\n"
    "passes = []\n"
    "gc.callbacks.append(lambda phase, info: passes.append(1) if phase == 'start' else None)\n"
)


def _passes(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", _COUNT_PASSES + code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.strip().splitlines()[-1]


def test_no_collector_pass_while_a_district_commands_modules_load() -> None:
    # run as the console script runs it (sys.argv, main()); ``--help`` builds the whole parser,
    # which loads the commands' modules, then exits
    paused = _passes(
        "from sync import district_cli\n"
        "before = len(passes)\n"
        "sys.argv = ['childdesk-district', '--help']\n"
        "try:\n"
        "    district_cli.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(len(passes) - before, gc.isenabled(), gc.get_freeze_count() > 10_000)\n"
    )
    assert paused == "0 True True"  # and what they made is frozen: no pass walks it later
    # main([...]) inside another program (a test): paused, nothing frozen
    inside = _passes(
        "from sync import district_cli\n"
        "try:\n"
        "    district_cli.main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(gc.isenabled(), gc.get_freeze_count())\n"
    )
    assert inside == "True 0"
    # the same modules loaded without the pause: the collector runs during the imports
    plain = _passes(
        "from sync import district_cli\n"
        "before = len(passes)\n"
        "district_cli.build_parser()\n"
        "print(len(passes) - before, gc.isenabled())\n"
    )
    count, enabled = plain.split()
    assert int(count) > 0 and enabled == "True"
