"""Builds the installer for child directors' laptops.

    .venv/bin/python build_installer.py            # Linux: dist/childdesk/ and a .tar.gz
    .venv\\Scripts\\python build_installer.py       # Windows: dist\\childdesk\\ and a Setup .exe

Steps, each of which stops the build when it fails:

1. A one-folder PyInstaller build from ``build/childdesk.spec``, which this script generates
   from ``pyproject.toml`` (name and version). It bundles every data file under
   ``resources/`` and leaves out what the program does not use: the district server and its
   extra (FastAPI, uvicorn, SQLAlchemy, psycopg), tests, development tools, Qt modules other
   than Core/Gui/Widgets/Pdf/PdfWidgets/PrintSupport (and Network/DBus they link), Qt plug-ins
   other than the platform, image, print, input-method and style ones listed below, Qt's
   own translations (``resources/translations/qtbase_zh_CN.qm`` is the one we load), type
   stubs, and on Linux libcups (the system's is used) and every library nothing kept links.
2. The built program's ``--smoke-test`` must print ``OK``.
3. Vaults cross between versions: a vault made by the source version is verified and written
   to by the frozen one, and the other way round.
4. The unpacked size is measured and must be within :data:`SIZE_BUDGET_MB`.
5. Linux: ``dist/childdesk-<version>-linux-<machine>.tar.gz``. Windows: an Inno Setup script
   ``dist/childdesk-<version>.iss`` (per-user install, start-menu entry, Chinese), compiled
   into ``dist/childdesk-<version>-setup.exe`` when ``ISCC.exe`` is found. PyInstaller cannot
   cross-build, so the Windows installer is made on a Windows machine (docs/installing.md).

What was built is recorded in ``dist/build-record.json`` (version, platform, size, times).

Why one long file: it runs standalone, before the package is installed, on the build
machines of two systems; its steps read top to bottom as the build does.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DIST = ROOT / "dist"
BUILD = ROOT / "build"
BUNDLE_NAME = "childdesk"  # the folder under dist/ and the program's file name
WINDOWS_CONSOLE_NAME = "childdesk-cli"  # Windows only: the console twin for the command line
DISPLAY_NAME = "儿童主任工作台"
SIZE_BUDGET_MB = 150.0  # unpacked bundle, 1 MB = 1,000,000 bytes
# Inno Setup identifies the installed program by this id: never change it, or an update
# installs a second copy instead of replacing the first.
INNO_APP_ID = "8822F4F9-770B-43E7-B199-B781FE2321C7"

# Our packages; every module of them is bundled (hidden imports), except these.
OWN_PACKAGES = ("app", "ui", "storage", "sync", "resources")
# The district server's extra: our modules importing these (directly or through another left
# out module) stay out of the bundle. sync.merge, pure Python, is shared with the laptop.
SERVER_EXTRA = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg")
OWN_LEFT_OUT = ("sync.district_cli",)

EXCLUDED_MODULES = (
    # the district server and its extra
    "sync.district_cli",
    "sync.server.app",
    "sync.server.db",
    "sync.server.district",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "psycopg",
    "psycopg_binary",
    "psycopg_pool",
    "pydantic",
    "pydantic_core",
    "anyio._backends._trio",
    # tests and development tools
    "tests",
    "bench",
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "mypy",
    "mypyc",
    "ruff",
    "PyInstaller",
    "setuptools",
    "pip",
    "pkg_resources",
    "tkinter",
    "unittest",
    "pydoc_data",
    # Pillow: reportlab imports PIL.Image, and only that; not its AVIF/WebP/colour-management/
    # font/Tk parts, which bring ~15 MB of libraries
    "PIL._avif",
    "PIL.AvifImagePlugin",
    "PIL._webp",
    "PIL.WebPImagePlugin",
    "PIL._imagingcms",
    "PIL.ImageCms",
    "PIL._imagingft",
    "PIL.ImageFont",
    "PIL._imagingtk",
    "PIL.ImageTk",
    "PIL.ImageQt",
    # optional extras of libraries that pull in big packages: httpx's command line (click,
    # rich, pygments), reportlab's code highlighter (pygments), the interactive prompt
    "httpx._main",
    # reportlab imports it only to guess the encoding of an XMP file read from disk, which the
    # program never uses (0.4 MB of compiled modules)
    "charset_normalizer",
    "pygments",
    "rich",
    "readline",
    # CJK codecs other than Simplified Chinese (GB2312/GBK/GB18030 stay)
    "encodings.euc_jp",
    "encodings.euc_jis_2004",
    "encodings.euc_jisx0213",
    "encodings.euc_kr",
    "encodings.shift_jis",
    "encodings.shift_jis_2004",
    "encodings.shift_jisx0213",
    "encodings.cp932",
    "encodings.cp949",
    "encodings.johab",
    "encodings.big5",
    "encodings.big5hkscs",
    "encodings.cp950",
    "encodings.iso2022_jp",
    "encodings.iso2022_jp_1",
    "encodings.iso2022_jp_2",
    "encodings.iso2022_jp_2004",
    "encodings.iso2022_jp_3",
    "encodings.iso2022_jp_ext",
    "encodings.iso2022_kr",
    "_codecs_jp",
    "_codecs_kr",
    "_codecs_tw",
    "_codecs_hk",
    "_codecs_iso2022",
    # Qt modules the program does not use
    "PySide6.Qt3DAnimation",
    "PySide6.Qt3DCore",
    "PySide6.Qt3DExtras",
    "PySide6.Qt3DInput",
    "PySide6.Qt3DLogic",
    "PySide6.Qt3DRender",
    "PySide6.QtCharts",
    "PySide6.QtConcurrent",
    "PySide6.QtDataVisualization",
    "PySide6.QtDesigner",
    "PySide6.QtGraphs",
    "PySide6.QtHelp",
    "PySide6.QtLabsStyleKit",
    "PySide6.QtMultimedia",
    "PySide6.QtMultimediaWidgets",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtQml",
    "PySide6.QtQmlFeatures",
    "PySide6.QtQuick",
    "PySide6.QtQuick3D",
    "PySide6.QtQuickControls2",
    "PySide6.QtQuickTest",
    "PySide6.QtQuickWidgets",
    "PySide6.QtSql",
    "PySide6.QtSvg",
    "PySide6.QtSvgWidgets",
    "PySide6.QtTest",
    "PySide6.QtUiTools",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebChannel",
    "PySide6.QtXml",
)

# Qt shared libraries that are never needed (a kept module or plug-in linking one of them would
# fail the smoke test, so this list errs on the side of keeping).
_QT_LIB_DROPPED = re.compile(
    r"(^|/)(lib)?Qt6(Qml|Quick|Labs|Designer|Lottie|Wayland|Wl|WebEngine|WebChannel|WebView|3D|"
    r"Multimedia|Svg|Sql|Test|UiTools|Xml|Help|Concurrent|OpenGL|EglFS|EglFs|VirtualKeyboard|"
    r"Charts|Graphs|DataVisualization|ShaderTools|SpatialAudio|StateMachine|Positioning|"
    r"Location|Sensors|SerialPort|Bluetooth|Nfc|RemoteObjects|Scxml|TextToSpeech|Pdf[Q]uick)"
    r"\w*(\.so[.\d]*|\.dll)$"
)
# Windows: the software OpenGL renderer (~20 MB); the program draws widgets, never OpenGL.
_OTHER_DROPPED = ("opengl32sw.dll",)

# Files of packages that only type checkers and compilers read (stubs, Cython sources and
# headers, the py.typed marker): data files PyInstaller copies along, never loaded at run time.
_SOURCE_ONLY = re.compile(r"(\.pyi|\.pyx|\.pxd|\.pxi|(^|/)py\.typed)$")

# Qt plug-ins kept, by folder; every other plug-in (and folder) is left out.
QT_PLUGINS_KEPT: dict[str, tuple[str, ...]] = {
    # offscreen for the smoke test and CI; xcb for Linux desktops; windows for Windows
    "platforms": ("offscreen", "xcb", "windows"),
    # jpg photos of documents (png is built into QtGui), ico for Windows; no screen shows
    # tif or gif (add "tiff" here when one does: +1 MB)
    "imageformats": ("jpeg", "ico"),
    "printsupport": ("cups", "windows"),
    # Chinese input methods (ibus, fcitx via compose/ibus) on Linux; Windows IME is built in
    "platforminputcontexts": ("compose", "ibus"),
    # not gtk3: it pulls in GTK, Pango and Cairo (~10 MB) for a native look on Linux only
    "platformthemes": ("xdgdesktopportal",),
    "styles": ("windows", "modernwindows"),
    # the 同步 page's QNetworkInformation (sync when the laptop comes online); HTTPS is httpx's
    "networkinformation": ("networkmanager", "networklistmanager"),
}
# plugins/<folder>/[lib][q]<name>[suffixes].so|.dll; a plug-in is kept when <name> starts with a
# kept name (libqxcb.so: xcb; libibusplatforminputcontextplugin.so: ibus; qjpeg.dll: jpeg).
_PLUGIN_RE = re.compile(r"(^|/)plugins/([^/]+)/(lib)?q?([^/]+?)\.(so|dll)$")


def project_metadata(pyproject: Path = ROOT / "pyproject.toml") -> tuple[str, str]:
    """The distribution's name and version: pyproject.toml is their one source."""
    with pyproject.open("rb") as handle:
        project = tomllib.load(handle)["project"]
    return str(project["name"]), str(project["version"])


def platform_tag() -> str:
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    return f"{system}-{platform.machine().lower() or 'unknown'}"


def _module_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def own_modules(root: Path = ROOT) -> list[str]:
    """Every module of our packages, so a lazily imported screen is never left out — except the
    district server's: those that import its extra, and those that import them."""
    sources: dict[str, Path] = {}
    for package in OWN_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            sources[".".join(parts)] = path
    imports = {name: _module_imports(path) for name, path in sources.items()}
    left_out = set(OWN_LEFT_OUT)
    changed = True
    while changed:
        changed = False
        for name, imported in imports.items():
            if name in left_out:
                continue
            tops = {i.split(".")[0] for i in imported}
            if tops & set(SERVER_EXTRA) or imported & left_out:
                left_out.add(name)
                changed = True
    return [name for name in sources if name not in left_out]


def resource_datas(root: Path = ROOT) -> list[tuple[str, str]]:
    """(source file, destination folder) of every data file under resources/ (not its code)."""
    datas: list[tuple[str, str]] = []
    base = root / "resources"
    for path in sorted(base.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        if path.suffix in (".py", ".pyc") or path.name == "py.typed":
            continue
        dest = Path("resources") / path.parent.relative_to(base)
        datas.append((str(path), dest.as_posix()))
    return datas


def keep_bundled_file(dest_name: str) -> bool:
    """Whether a binary or data file PyInstaller collected stays in the bundle."""
    name = dest_name.replace("\\", "/")
    if _QT_LIB_DROPPED.search(name) or name.rsplit("/", 1)[-1] in _OTHER_DROPPED:
        return False
    if re.search(r"(^|/)PySide6/(Qt/)?(translations|qml|metatypes|libexec)/", name):
        return False
    if _SOURCE_ONLY.search(name):
        return False
    if "PySide6/" in name and "/plugins/" in name:
        match = _PLUGIN_RE.search(name)
        if match is None:
            return False
        kept = QT_PLUGINS_KEPT.get(match.group(2), ())
        return any(match.group(4).startswith(plugin) for plugin in kept)
    return True


def prune(entries: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Filter a PyInstaller TOC (dest_name, src_name, typecode); used by the generated spec."""
    return [entry for entry in entries if keep_bundled_file(entry[0])]


# Linux: libraries taken from the system, not bundled. libcups is used only by Qt's CUPS print
# plug-in, and only talks to a CUPS daemon: a laptop that can print has CUPS installed, and with
# it libcups2 and the libraries it links (GnuTLS and its nettle/gmp/p11-kit/unistring/idn2/
# tasn1, Avahi) — 7.4 MB the bundle carried for nothing. Without CUPS the plug-in does not load
# and Qt still prints to PDF (the smoke test's QPrinter); nothing else links these libraries.
LINUX_SYSTEM_LIBRARIES = ("libcups.so.2",)


def _removable_library(dest_name: str, kind: str) -> bool:
    """Shared libraries PyInstaller collected only as dependencies: top-level ones (system
    libraries) and wheels' vendored ``*.libs/`` folders. Never Python extension modules, never
    libpython (the bootloader loads it without any NEEDED entry pointing at it)."""
    name = dest_name.replace("\\", "/")
    if kind != "BINARY" or name.startswith("libpython"):
        return False
    return "/" not in name or re.match(r"^[^/]+\.libs/[^/]+$", name) is not None


def elf_needed(path: str) -> list[str]:
    """The NEEDED entries of a Linux shared library or program: what it links directly (not
    ldd's closure, which would count what only a system library needs as needed)."""
    listing = subprocess.run(
        [_tool("readelf"), "-dW", path],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
    ).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", listing)


def drop_orphan_libraries(binaries: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Linux: after :func:`prune` removed plug-ins, the libraries only they needed (GTK, Pango,
    Cairo for the GTK theme, for example) are still collected. Keep a dependency library only
    if something kept links to it, following NEEDED entries from every kept module and
    plug-in; the :data:`LINUX_SYSTEM_LIBRARIES` are never kept, nor what only they need.
    Windows and macOS are left as PyInstaller collected them."""
    if not sys.platform.startswith("linux"):
        return binaries
    binaries = [
        entry
        for entry in binaries
        if not (
            _removable_library(entry[0], entry[2]) and Path(entry[0]).name in LINUX_SYSTEM_LIBRARIES
        )
    ]
    by_name = {Path(dest).name: (dest, src, kind) for dest, src, kind in binaries}
    needed: set[str] = set()
    queue = [entry for entry in binaries if not _removable_library(entry[0], entry[2])]
    seen: set[str] = set()
    while queue:
        _dest, src, kind = queue.pop()
        if src in seen or kind not in ("BINARY", "EXTENSION"):
            continue
        seen.add(src)
        for base in elf_needed(src):
            if base in needed:
                continue
            needed.add(base)
            entry = by_name.get(base)
            if entry is not None and _removable_library(entry[0], entry[2]):
                queue.append(entry)
    return [
        entry
        for entry in binaries
        if not _removable_library(entry[0], entry[2]) or Path(entry[0]).name in needed
    ]


# ----- Linux: Qt's ICU data, trimmed ------------------------------------------------------
# The PySide6 Linux wheels link Qt to ICU 73, whose data library (libicudata) is 32 MB of
# locale data for every language: display names, units, currencies, time-zone names,
# transliteration, break-iterator dictionaries and legacy code pages. Qt uses ICU for casing,
# collation (QCollator), IDNA and code pages; the program needs neither the names nor the code
# pages. The trimmed library keeps collation for every language, normalisation, properties,
# and the locale data of zh and en, and is 5.5 MB. (Windows Qt uses the system's ICU.)
ICU_REMOVED_FOLDERS = ("brkitr", "unit", "zone", "curr", "lang", "region", "translit", "rbnf")
ICU_KEPT_LOCALES = ("zh", "en")
_ICU_LOCALE_RES = re.compile(r"^([a-z]{2,3})(_[A-Za-z0-9]+)*\.res$")
_ICU_DATA_LIB = re.compile(r"(^|/)libicudata\.so\.(\d+)$")


def icu_items_to_remove(items: Iterable[str]) -> list[str]:
    """Items of the ICU common data (``icupkg -l`` names) the program does not need."""
    removed = []
    for item in items:
        folder = item.split("/", 1)[0] if "/" in item else ""
        locale = _ICU_LOCALE_RES.match(item) if item != "res_index.res" else None
        if (
            folder in ICU_REMOVED_FOLDERS
            or (not folder and item.endswith(".cnv"))
            or (locale is not None and locale.group(1) not in ICU_KEPT_LOCALES)
        ):
            removed.append(item)
    return removed


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BuildError(
            f"{name} not found: trimming Qt's ICU data needs icu-devtools and binutils "
            "(./setup.sh installs them on Debian/Ubuntu)"
        )
    return found


def trim_icu_data(library: Path, workdir: Path) -> Path:
    """A smaller copy of ``libicudata.so.<N>`` (same soname, same ``icudt<N>_dat`` symbol)."""
    match = _ICU_DATA_LIB.search(library.as_posix())
    if match is None:
        raise BuildError(f"not an ICU data library: {library}")
    version = match.group(2)
    entry = f"icudt{version}"
    workdir.mkdir(parents=True, exist_ok=True)
    # icupkg takes the package name from the file name: both files are called icudt<N>l.dat.
    (workdir / "full").mkdir(exist_ok=True)
    full = workdir / "full" / f"{entry}l.dat"
    trimmed = workdir / f"{entry}l.dat"
    objcopy, icupkg, genccode, ld = (_tool(t) for t in ("objcopy", "icupkg", "genccode", "ld"))
    # The data is the library's whole .rodata section: the symbol icudt<N>_dat.
    subprocess.run(
        [objcopy, "-O", "binary", "--only-section=.rodata", str(library), str(full)], check=True
    )
    listing = subprocess.run(
        [icupkg, "-l", str(full)], check=True, capture_output=True, text=True
    ).stdout.split()
    removed = icu_items_to_remove(listing)
    if len(removed) >= len(listing) or not any(i.startswith("coll/") for i in listing):
        raise BuildError(f"unexpected ICU data layout in {library}")
    remove_list = workdir / "removed.txt"
    remove_list.write_text("\n".join(removed) + "\n", encoding="utf-8")
    trimmed.unlink(missing_ok=True)
    subprocess.run([icupkg, "-r", str(remove_list), str(full), str(trimmed)], check=True)
    subprocess.run(
        [genccode, "-q", "-o", "-m", str(library), "-e", entry, "-d", str(workdir), str(trimmed)],
        check=True,
    )
    out = workdir / library.name
    subprocess.run(
        [ld, "-shared", "-soname", library.name, "-o", str(out), str(workdir / f"{entry}l_dat.o")],
        check=True,
    )
    return out


def replace_icu_data(binaries: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Linux: swap the collected libicudata for the trimmed one (see ICU_REMOVED_FOLDERS)."""
    result = []
    for dest, src, kind in binaries:
        if _ICU_DATA_LIB.search(dest.replace("\\", "/")) and kind == "BINARY":
            src = str(trim_icu_data(Path(src), BUILD / "icu"))
        result.append((dest, src, kind))
    return result


def spec_text(name: str, version: str, *, windows: bool, root: Path = ROOT) -> str:
    """The PyInstaller spec. On Windows the program is a windowed childdesk.exe (no console
    window behind the desktop app) plus childdesk-cli.exe for the command line and the smoke
    test; elsewhere one ``childdesk`` does both."""
    entry = BUILD / "childdesk_entry.py"
    if windows:
        exes = (
            f"gui = EXE(pyz, a.scripts, [], exclude_binaries=True, name={BUNDLE_NAME!r},\n"
            "          console=False, strip=STRIP, upx=False)\n"
            f"cli = EXE(pyz, a.scripts, [], exclude_binaries=True, name={WINDOWS_CONSOLE_NAME!r},\n"
            "          console=True, strip=STRIP, upx=False)\n"
            "executables = [gui, cli]\n"
        )
    else:
        exes = (
            f"gui = EXE(pyz, a.scripts, [], exclude_binaries=True, name={BUNDLE_NAME!r},\n"
            "          console=True, strip=STRIP, upx=False)\n"
            "executables = [gui]\n"
        )
    return f"""# Generated by build_installer.py for {name} {version}; edit the generator.
import sys

from PyInstaller.utils.hooks import copy_metadata

sys.path.insert(0, {str(root)!r})
import build_installer as plan  # noqa: E402

# Linux: strip debug symbols (libpython alone shrinks from 23 to ~4 MB); Windows DLLs have none.
STRIP = {not windows!r}

a = Analysis(
    [{str(entry)!r}],
    pathex=[{str(root)!r}],
    datas=plan.resource_datas() + copy_metadata({name!r}),
    hiddenimports=plan.own_modules(),
    excludes=list(plan.EXCLUDED_MODULES),
    noarchive=False,
)
a.binaries = plan.replace_icu_data(plan.drop_orphan_libraries(plan.prune(a.binaries)))
a.datas = plan.prune(a.datas)
pyz = PYZ(a.pure)
{exes}coll = COLLECT(
    *executables, a.binaries, a.datas, strip=STRIP, upx=False, name={BUNDLE_NAME!r}
)
"""


ENTRY_SCRIPT = '''"""Frozen entry point: the same main() as the ``childdesk`` console script."""
import sys

from ui.launcher import main

sys.exit(main())
'''


def write_spec(name: str, version: str, *, windows: bool) -> Path:
    BUILD.mkdir(exist_ok=True)
    (BUILD / "childdesk_entry.py").write_text(ENTRY_SCRIPT, encoding="utf-8")
    spec = BUILD / f"{BUNDLE_NAME}.spec"
    spec.write_text(spec_text(name, version, windows=windows), encoding="utf-8")
    return spec


def run_pyinstaller(spec: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(DIST),
            "--workpath",
            str(BUILD / "pyinstaller"),
            str(spec),
        ],
        cwd=ROOT,
        check=True,
    )


class BuildError(Exception):
    """A check of the built bundle failed; the message says which."""


def frozen_command(bundle: Path, *, windows: bool) -> list[str]:
    """The built program, as run for the command line (the console twin on Windows)."""
    exe = WINDOWS_CONSOLE_NAME + ".exe" if windows else BUNDLE_NAME
    return [str(bundle / exe)]


def source_command() -> list[str]:
    return [sys.executable, "-m", "ui.launcher"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("CHILDDESK_DATA_DIR", None)  # every vault here is in a temporary folder
    env["PYTHONUTF8"] = "1"
    return env


def run_app(
    command: Sequence[str], *args: str, stdin: str = "", timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        cwd=ROOT,
        env=_env(),
        check=False,
    )


def smoke_test(command: Sequence[str]) -> str:
    result = run_app(command, "--smoke-test")
    if result.returncode != 0 or result.stdout.strip().splitlines()[-1:] != ["OK"]:
        raise BuildError(
            f"the smoke test failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result.stderr


def check_version(command: Sequence[str], version: str) -> None:
    result = run_app(command, "--version")
    if result.stdout.strip() != f"childdesk {version}":
        raise BuildError(f"--version printed {result.stdout.strip()!r}, expected {version}")


def _expect(result: subprocess.CompletedProcess[str], what: str) -> str:
    if result.returncode != 0:
        raise BuildError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()}")
    return result.stdout


def cross_version_check(source: Sequence[str], frozen: Sequence[str]) -> list[str]:
    """A vault made by one version is verified, written and read by the other, both ways.
    The vaults hold synthetic 演示数据 only and live in a temporary folder."""
    notes: list[str] = []
    password = "bundle-check-" + secrets.token_urlsafe(16) + "\n"
    with tempfile.TemporaryDirectory(prefix="childdesk-cross-") as tmp:
        for maker, other, label in (
            (source, frozen, "source → frozen"),
            (frozen, source, "frozen → source"),
        ):
            folder = str(Path(tmp) / label.split()[0])

            def vault_cli(
                command: Sequence[str],
                *args: str,
                step: str,
                folder: str = folder,
                label: str = label,
            ) -> str:
                result = run_app(command, "--data-dir", folder, *args, stdin=password)
                return _expect(result, f"{label}: {step}")

            made = ("--name", "演示", "--village", "500119104201")
            vault_cli(maker, "init", "--password-stdin", *made, step="init")
            demo = ("demo", "--seed", "7", "--password-stdin", "--children")
            vault_cli(maker, *demo, "3", step="demo")
            vault_cli(other, "verify", "--password-stdin", step="verify")
            vault_cli(other, *demo, "2", step="write")
            vault_cli(maker, "verify", "--password-stdin", step="verify back")
            listing = ("children", "list", "--json", "--password-stdin")
            first, second = (
                json.loads(vault_cli(command, *listing, step="children list"))
                for command in (maker, other)
            )
            if first != second:
                raise BuildError(f"{label}: the two versions list different children")
            if len(first["children"]) != 5:
                raise BuildError(f"{label}: expected 5 children, found {len(first['children'])}")
            notes.append(f"{label}: init, verify, write, verify back, same 5 children listed")
    return notes


def folder_size_mb(folder: Path) -> float:
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for file in files:
            total += (Path(dirpath) / file).lstat().st_size
    return total / 1_000_000


def largest_files(folder: Path, count: int = 12) -> list[tuple[float, str]]:
    sizes = [
        (path.lstat().st_size / 1_000_000, path.relative_to(folder).as_posix())
        for path in folder.rglob("*")
        if path.is_file()
    ]
    return sorted(sizes, reverse=True)[:count]


def make_tarball(bundle: Path, version: str) -> Path:
    target = DIST / f"{BUNDLE_NAME}-{version}-{platform_tag()}.tar.gz"

    def anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(target, "w:gz", compresslevel=6) as archive:
        archive.add(bundle, arcname=f"{BUNDLE_NAME}-{version}", filter=anonymous)
    return target


# ----- Windows: the Inno Setup installer ----------------------------------------------------

CHINESE_ISL = "ChineseSimplified.isl"
# Where platformdirs puts the vault on Windows (storage/paths.py): %LOCALAPPDATA%\childdesk.
WINDOWS_VAULT_DIR = r"{localappdata}\childdesk"


def inno_script(version: str, bundle: Path, output_dir: Path, *, sign: bool = False) -> str:
    """A per-user Inno Setup 6 script: no administrator rights, installs to
    %LOCALAPPDATA%\\Programs\\ChildDesk, a start-menu entry, Chinese pages, and an uninstaller
    that removes the program only and says the vault stays."""
    sign_line = "SignTool=childdesk\nSignedUninstaller=yes\n" if sign else ""
    vault_msg = (
        "您的档案库（加密的儿童档案）没有删除，仍保存在：'#13#10 + "
        f"ExpandConstant('{WINDOWS_VAULT_DIR}') + #13#10#13#10 + "
        "'重新安装本程序后，用原来的密码即可打开。"
        "如需彻底删除档案库，请先确认已同步到区民政局，再手动删除这个文件夹。"
    )
    # Inno Setup reads one line per entry: these are long, so they are assembled here.
    confirm_uninstall = (
        "确定要卸载 %1 吗？%n%n只删除程序本身。您的档案库（加密的儿童档案）不会被删除，"
        "仍保存在本机的用户数据文件夹（%LOCALAPPDATA%\\childdesk）中。"
    )
    run_flags = " Flags: nowait postinstall skipifsilent"
    return f"""; Generated by build_installer.py for childdesk {version}; edit the generator.
; Compile with Inno Setup 6 (ISCC.exe) on Windows; {CHINESE_ISL} must sit next to this file.

[Setup]
AppId={{{{{INNO_APP_ID}}}
AppName={DISPLAY_NAME}
AppVersion={version}
AppVerName={DISPLAY_NAME} {version}
AppPublisher=区民政局
; Per-user: no administrator rights needed; {{autopf}} is %LOCALAPPDATA%\\Programs.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=
DefaultDirName={{autopf}}\\ChildDesk
DefaultGroupName={DISPLAY_NAME}
DisableProgramGroupPage=yes
UninstallDisplayName={DISPLAY_NAME}
UninstallDisplayIcon={{app}}\\{BUNDLE_NAME}.exe
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={output_dir}
OutputBaseFilename={BUNDLE_NAME}-{version}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ShowLanguageDialog=no
CloseApplications=yes
{sign_line}
[Languages]
Name: "chinesesimplified"; MessagesFile: "{CHINESE_ISL}"

[Messages]
ConfirmUninstall={confirm_uninstall}

[InstallDelete]
; An update replaces the whole program folder so no library of the old version is left behind.
; The vault is not in this folder (it is in %LOCALAPPDATA%\\childdesk) and is never touched.
Type: filesandordirs; Name: "{{app}}\\_internal"

[Files]
Source: "{bundle}\\*"; DestDir: "{{app}}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{{autoprograms}}\\{DISPLAY_NAME}"; Filename: "{{app}}\\{BUNDLE_NAME}.exe"
Name: "{{autodesktop}}\\{DISPLAY_NAME}"; Filename: "{{app}}\\{BUNDLE_NAME}.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "在桌面上创建快捷方式"

[Run]
Filename: "{{app}}\\{BUNDLE_NAME}.exe"; Description: "立即打开{DISPLAY_NAME}";{run_flags}

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent() then
    MsgBox('{DISPLAY_NAME}已卸载。'#13#10#13#10'{vault_msg}', mbInformation, MB_OK);
end;
"""


def find_iscc() -> Path | None:
    found = shutil.which("ISCC") or shutil.which("ISCC.exe")
    if found:
        return Path(found)
    for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        if base and (Path(base) / "Inno Setup 6" / "ISCC.exe").exists():
            return Path(base) / "Inno Setup 6" / "ISCC.exe"
    return None


def find_chinese_isl(iscc: Path | None, explicit: str | None) -> Path | None:
    candidates = [Path(explicit)] if explicit else []
    if iscc is not None:
        languages = iscc.parent / "Languages"
        candidates += [languages / CHINESE_ISL, languages / "Unofficial" / CHINESE_ISL]
    candidates.append(ROOT / "build" / CHINESE_ISL)
    return next((path for path in candidates if path.is_file()), None)


def build_windows_installer(
    version: str, bundle: Path, *, chinese_isl: str | None, sign_tool: str | None
) -> list[str]:
    notes: list[str] = []
    iss = DIST / f"{BUNDLE_NAME}-{version}.iss"
    # UTF-8 with a byte-order mark: how Inno Setup 6 recognises a Unicode script.
    iss.write_text(inno_script(version, bundle, DIST, sign=bool(sign_tool)), encoding="utf-8-sig")
    notes.append(f"Inno Setup script: {iss}")
    iscc = find_iscc()
    if iscc is None:
        notes.append("ISCC.exe not found: install Inno Setup 6, then compile the script above")
        return notes
    isl = find_chinese_isl(iscc, chinese_isl)
    if isl is None:
        raise BuildError(
            f"{CHINESE_ISL} not found: Inno Setup does not ship it. Download it from "
            "https://jrsoftware.org/files/istrans/ into Inno Setup's Languages folder "
            "(or pass --chinese-isl PATH)"
        )
    shutil.copyfile(isl, DIST / CHINESE_ISL)
    command = [str(iscc), "/Q"]
    if sign_tool:
        command.append(f"/Schilddesk={sign_tool}")
    subprocess.run([*command, str(iss)], check=True, cwd=DIST)
    notes.append(f"installer: {DIST / f'{BUNDLE_NAME}-{version}-setup.exe'}")
    return notes


# ----- the build ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-archive", action="store_true", help="skip the .tar.gz / Setup.exe")
    parser.add_argument("--chinese-isl", metavar="PATH", help=f"Windows: the {CHINESE_ISL} file")
    parser.add_argument(
        "--sign-tool",
        metavar="COMMAND",
        help='Windows: Inno Setup SignTool command, e.g. "signtool sign /fd sha256 /a $f"',
    )
    args = parser.parse_args(argv)
    windows = sys.platform == "win32"
    name, version = project_metadata()
    try:
        import PyInstaller  # noqa: F401 - only to say how to get it
    except ImportError:
        print(
            "build_installer: PyInstaller is not installed here; run ./setup.sh, then "
            ".venv/bin/python build_installer.py (Windows: docs/installing.md)",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    try:
        print(f"build_installer: {name} {version} for {platform_tag()}", flush=True)
        spec = write_spec(name, version, windows=windows)
        run_pyinstaller(spec)
        build_seconds = time.perf_counter() - started
        bundle = DIST / BUNDLE_NAME
        frozen = frozen_command(bundle, windows=windows)
        print(f"build_installer: PyInstaller took {build_seconds:.0f} s", flush=True)

        check_version(frozen, version)
        steps = smoke_test(frozen)
        print(steps, end="", flush=True)
        print("build_installer: smoke test printed OK", flush=True)

        notes = cross_version_check(source_command(), frozen)
        for note in notes:
            print(f"build_installer: vault {note}", flush=True)

        size = folder_size_mb(bundle)
        print(f"build_installer: unpacked size {size:.1f} MB (budget {SIZE_BUDGET_MB:.0f} MB)")
        if size > SIZE_BUDGET_MB:
            for mb, path in largest_files(bundle):
                print(f"  {mb:7.1f} MB  {path}")
            raise BuildError(f"the bundle is {size:.1f} MB, over the {SIZE_BUDGET_MB} MB budget")

        artefacts: list[str] = []
        if not args.no_archive:
            if windows:
                artefacts += build_windows_installer(
                    version, bundle, chinese_isl=args.chinese_isl, sign_tool=args.sign_tool
                )
            else:
                tarball = make_tarball(bundle, version)
                mb = tarball.stat().st_size / 1_000_000
                artefacts.append(f"archive: {tarball} ({mb:.1f} MB)")
        total_seconds = time.perf_counter() - started
        record = {
            "name": name,
            "version": version,
            "platform": platform_tag(),
            "unpacked_mb": round(size, 1),
            "budget_mb": SIZE_BUDGET_MB,
            "pyinstaller_seconds": round(build_seconds),
            "total_seconds": round(total_seconds),
            "smoke_test": "OK",
            "cross_version": notes,
            "artefacts": artefacts,
        }
        (DIST / "build-record.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        for line in artefacts:
            print(f"build_installer: {line}")
        print(f"build_installer: done in {total_seconds:.0f} s; see dist/build-record.json")
        return 0
    except (BuildError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        print(f"build_installer: FAILED: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
