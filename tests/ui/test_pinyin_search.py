"""The children list's pinyin (search by 拼音 and initials, sort by name) reads pypinyin's table of
single characters without importing the package, whose ``__init__`` also loads the phrase
dictionary and builds the segmenter (~0.14 CPU-s of every desk start): each character's pinyin
is still exactly what ``lazy_pinyin(ch, style=Style.NORMAL)`` gives."""

from __future__ import annotations

import importlib.util
import sys
import unicodedata

from pypinyin import Style, lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

import ui.views.children_model as children_model


def _special(readings: str) -> bool:
    """A most common reading with more than a tone mark on a-z (ü, ê, a marked m or n …)."""
    bare = unicodedata.normalize("NFD", readings.split(",")[0])
    return any(not ("a" <= c <= "z") and not unicodedata.combining(c) for c in bare) or (
        "\u0308" in bare
    )


def test_each_characters_pinyin_is_pypinyins() -> None:
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
    """The model's module run afresh (under another name, the loaded one left alone) with
    pypinyin not loaded: reading names loads none of it."""
    saved = {n: m for n, m in sys.modules.items() if n.split(".")[0] == "pypinyin"}
    for name in saved:
        del sys.modules[name]
    try:
        spec = importlib.util.spec_from_file_location(
            "_children_model_afresh", children_model.__file__
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
        assert module._char_pinyin("王") == ("wang", "w")
        assert module._char_pinyin("绿") == ("lv", "l")
        loaded = sorted(n for n in sys.modules if n.split(".")[0] == "pypinyin")
        assert loaded == [], "the names' pinyin imported pypinyin"
    finally:
        sys.modules.pop("_children_model_afresh", None)
        for name in [n for n in sys.modules if n.split(".")[0] == "pypinyin"]:
            del sys.modules[name]
        sys.modules.update(saved)
