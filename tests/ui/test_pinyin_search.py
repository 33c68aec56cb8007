"""The children list's pinyin (search by 拼音 and initials, sort by name) reads pypinyin's table of
single characters without importing the package, whose ``__init__`` also loads the phrase
dictionary and builds the segmenter (~0.14 CPU-s of every desk start): each character's pinyin
is still exactly what ``lazy_pinyin(ch, style=Style.NORMAL)`` gives."""

from __future__ import annotations

import importlib.util
import sys
import unicodedata
from typing import Any

import ui.views.children_model as children_model


def _special(readings: str) -> bool:
    """A most common reading with more than a tone mark on a-z (ü, ê, a marked m or n …)."""
    bare = unicodedata.normalize("NFD", readings.split(",")[0])
    return any(not ("a" <= c <= "z") and not unicodedata.combining(c) for c in bare) or (
        "\u0308" in bare
    )


def test_each_characters_pinyin_is_pypinyins() -> None:
    # imported here: pypinyin loads its phrase dictionary (~0.5 CPU-s) in every test process
    # that imports this module, and only the test process that runs this test needs it
    from pypinyin import Style, lazy_pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    # every character whose reading is more than tone marks, every 16th of the others, and
    # characters without a reading (letters, digits, the middle dot of foreign names)
    points = [p for i, (p, r) in enumerate(pinyin_dict.items()) if _special(r) or i % 16 == 0]
    assert len(points) > 2_000 and any(pinyin_dict[p].startswith("lǜ") for p in points)
    chars = [chr(p) for p in points] + list("Aa1·・ -ÉŞ〇王秀英绿女吕略")
    children_model._PINYIN_CACHE.clear()
    for ch in chars:
        full = lazy_pinyin(ch, style=Style.NORMAL)[0].lower()
        assert children_model._char_pinyin(ch) == (full, full[:1]), ch
    assert children_model._char_pinyin("绿") == ("lv", "l")


def test_the_list_reads_the_table_without_importing_pypinyin() -> None:
    """The model's module and the table reader (resources/pinyin_table.py) run afresh (under other
    names, the loaded ones left alone) with pypinyin not loaded: reading names loads none of
    it."""
    import resources

    saved = {n: m for n, m in sys.modules.items() if n.split(".")[0] == "pypinyin"}
    for name in saved:
        del sys.modules[name]
    shared = sys.modules["resources.pinyin_table"]
    try:
        table = _afresh("_pinyin_table_afresh", resources.pinyin_table.__file__)
        sys.modules["resources.pinyin_table"] = table  # what the model's import finds
        resources.pinyin_table = table  # type: ignore[attr-defined]
        assert not table.loaded()
        module = _afresh("_children_model_afresh", children_model.__file__)
        assert module._char_pinyin("王") == ("wang", "w")
        assert module._char_pinyin("绿") == ("lv", "l")
        assert table.loaded()
        loaded = sorted(n for n in sys.modules if n.split(".")[0] == "pypinyin")
        assert loaded == [], "the names' pinyin imported pypinyin"
    finally:
        sys.modules["resources.pinyin_table"] = shared
        resources.pinyin_table = shared  # type: ignore[attr-defined]
        for name in ("_children_model_afresh", "_pinyin_table_afresh"):
            sys.modules.pop(name, None)
        for name in [n for n in sys.modules if n.split(".")[0] == "pypinyin"]:
            del sys.modules[name]
        sys.modules.update(saved)


def _afresh(name: str, path: str | None) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module
