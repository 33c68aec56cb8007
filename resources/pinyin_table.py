"""pypinyin's table of single characters (code point → readings, the most common first), for
the three places that read one character at a time: the children list's pinyin sort and search
(ui/views/children_model.py), the console's name initials (query_tables_derive.py) and the
password rule against one's own name (storage/password_policy.py). Here, beside the other
bundled tables, because storage/ reads it too.

Read from pypinyin's own data file, not imported: any ``import pypinyin…``, even of
``pypinyin.pinyin_dict``, runs the package's ``__init__``, which also loads the phrase
dictionary and builds the phrase segmenter (~0.14 CPU-s at each desk start, ~0.2-0.7 in a
district command) that one character at a time never uses. Read on first use, not with the
module: every district command imports the query tables and most never derive a name. Where
the process has imported the table already, that one; the import as well where the file is
not beside the package."""

from __future__ import annotations

import importlib.util
import json
import sys
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import cast

_READINGS: Mapping[int, str] | None = None


def loaded() -> bool:
    """Whether the table has been read in this process (tests of what starts cheaply)."""
    return _READINGS is not None


def readings() -> Mapping[int, str]:
    global _READINGS
    if _READINGS is None:
        imported = getattr(sys.modules.get("pypinyin.pinyin_dict"), "pinyin_dict", None)
        # (empty while another thread is still importing it)
        _READINGS = cast(Mapping[int, str], imported) if imported else read_table()
    return _READINGS


def read_table() -> Mapping[int, str]:
    spec = importlib.util.find_spec("pypinyin")  # finds the package, does not run it
    for folder in (spec.submodule_search_locations or ()) if spec else ():
        path = Path(folder) / "pinyin_dict.json"
        if path.is_file():
            table = json.loads(path.read_text(encoding="utf-8"))
            return {int(point): str(readings) for point, readings in table.items()}
    from pypinyin.pinyin_dict import pinyin_dict

    return cast(Mapping[int, str], pinyin_dict)


def toneless_readings(ch: str) -> tuple[str, ...]:
    """A character's readings as they are typed, the most common first: without tone marks, ü
    written v (``绿`` → ``("lv", "lu")``), as pypinyin's ``Style.NORMAL`` writes them; empty for
    a character the table does not know."""
    found = readings().get(ord(ch)) if len(ch) == 1 else None
    if not found:
        return ()
    typed: list[str] = []
    for reading in found.split(","):
        marked = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
        plain = "".join(c for c in marked if not unicodedata.combining(c)).lower()
        if plain and plain not in typed:
            typed.append(plain)
    return tuple(typed)
