"""build_installer.py's decisions, checked without building (CI builds the bundle itself in a
separate step: `.venv/bin/python build_installer.py`)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

import build_installer as plan
import resources

ROOT = Path(__file__).resolve().parents[1]


def test_name_and_version_come_from_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert plan.project_metadata() == (project["name"], project["version"])


def test_every_resource_data_file_is_bundled_and_no_code() -> None:
    datas = plan.resource_datas()
    bundled = {Path(src).relative_to(ROOT / "resources").as_posix() for src, _ in datas}
    assert "translations/qtbase_zh_CN.qm" in bundled
    assert "fonts/wqy-microhei.ttc" in bundled
    assert "fonts/DroidSansFallbackFull.ttf" in bundled
    assert "questionnaires/guardianship_capacity.json" in bundled
    assert not any(name.endswith((".py", ".pyc")) or name == "py.typed" for name in bundled)
    for src, dest in datas:
        relative = Path(src).relative_to(ROOT)
        assert dest == relative.parent.as_posix()  # same layout under _MEIPASS


def test_every_own_module_is_bundled_except_the_district_server() -> None:
    modules = set(plan.own_modules())
    assert {"ui.launcher", "ui.smoke_test", "ui.gui", "app.printing", "storage.vault"} <= modules
    assert "resources" in modules
    assert "sync.merge" in modules  # pure Python, the laptop's sync engine uses it
    assert "sync.laptop.engine" in modules
    for server in (
        "sync.server.app",
        "sync.server.db",
        "sync.server.district",
        "sync.district_cli",
    ):
        assert server not in modules
        assert server in plan.EXCLUDED_MODULES
    for excluded in ("fastapi", "uvicorn", "sqlalchemy", "psycopg", "pytest", "tests"):
        assert excluded in plan.EXCLUDED_MODULES


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/lib/libQt6Core.so.6", True),
        ("PySide6/Qt/lib/libQt6Pdf.so.6", True),
        ("PySide6/Qt/lib/libQt6PdfWidgets.so.6", True),
        ("PySide6/Qt/lib/libQt6PrintSupport.so.6", True),
        ("PySide6/Qt/lib/libQt6Network.so.6", True),
        ("PySide6/Qt/lib/libQt6Qml.so.6", False),
        ("PySide6/Qt/lib/libQt6Quick.so.6", False),
        ("PySide6/Qt/lib/libQt6PdfQuick.so.6", False),
        ("PySide6/Qt6Designer.dll", False),
        ("PySide6/Qt6WebEngineCore.dll", False),
        ("PySide6/opengl32sw.dll", False),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/plugins/platforms/qwindows.dll", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", False),
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", True),
        ("PySide6/plugins/imageformats/qjpeg.dll", True),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", False),
        ("PySide6/Qt/plugins/printsupport/libcupsprintersupport.so", True),
        ("PySide6/plugins/printsupport/windowsprintersupport.dll", True),
        ("PySide6/plugins/styles/qmodernwindowsstyle.dll", True),
        ("PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so", True),
        ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", False),
        ("PySide6/Qt/plugins/tls/libqopensslbackend.so", False),
        ("PySide6/Qt/plugins/networkinformation/libqnetworkmanager.so", True),
        ("PySide6/plugins/networkinformation/qnetworklistmanager.dll", True),
        ("PySide6/Qt/plugins/networkinformation/libqglib.so", False),
        ("PySide6/Qt/translations/qtbase_de.qm", False),
        ("resources/translations/qtbase_zh_CN.qm", True),
        ("libpython3.11.so.1.0", True),
        # type stubs and markers are for type checkers, never loaded
        ("pypinyin/__init__.pyi", False),
        ("pypinyin/py.typed", False),
        ("PySide6/QtCore.pyi", False),
        ("pypinyin/pinyin_dict.json", True),
        ("app/py.typed.json", True),
    ],
)
def test_qt_pruning(dest: str, kept: bool) -> None:
    assert plan.keep_bundled_file(dest) is kept


def _system_library(name: str) -> Path | None:
    for folder in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"):
        if (Path(folder) / name).exists():
            return Path(folder) / name
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux bundles only")
def test_libcups_and_what_only_it_needs_come_from_the_system() -> None:
    """Issue 18 headroom: the CUPS print plug-in stays, libcups and GnuTLS (which only libcups
    links) are left to the system; Kerberos' GSSAPI stays, as QtNetwork links it too. Real
    libraries, their real NEEDED entries."""
    pytest.importorskip("PyInstaller")
    import PySide6

    qt = Path(PySide6.__file__).parent / "Qt"
    plugin = qt / "plugins" / "printsupport" / "libcupsprintersupport.so"
    network = qt / "lib" / "libQt6Network.so.6"
    system = {n: _system_library(n) for n in ("libcups.so.2", "libgnutls.so.30")}
    gssapi = _system_library("libgssapi_krb5.so.2")
    if not plugin.exists() or None in system.values() or gssapi is None:
        pytest.skip("the PySide6 CUPS plug-in or the system's libcups is not installed here")
    toc = [
        ("PySide6/Qt/plugins/printsupport/libcupsprintersupport.so", str(plugin), "BINARY"),
        ("PySide6/Qt/lib/libQt6Network.so.6", str(network), "BINARY"),
        *((name, str(path), "BINARY") for name, path in system.items()),
        ("libgssapi_krb5.so.2", str(gssapi), "BINARY"),
    ]
    kept = {Path(dest).name for dest, _src, _kind in plan.drop_orphan_libraries(toc)}
    assert "libcupsprintersupport.so" in kept and "libQt6Network.so.6" in kept
    assert "libgssapi_krb5.so.2" in kept
    assert "libcups.so.2" not in kept and "libgnutls.so.30" not in kept


def test_icu_trimming_keeps_collation_and_chinese() -> None:
    items = [
        "coll/zh.res",
        "coll/ucadata.icu",
        "zh_Hans_CN.res",
        "en.res",
        "root.res",
        "pool.res",
        "res_index.res",
        "supplementalData.res",
        "uts46.nrm",
        "de.res",
        "ar_EG.res",
        "lang/zh.res",
        "zone/zh.res",
        "brkitr/cjdict.dict",
        "gb18030.cnv",
    ]
    removed = plan.icu_items_to_remove(items)
    assert removed == [
        "de.res",
        "ar_EG.res",
        "lang/zh.res",
        "zone/zh.res",
        "brkitr/cjdict.dict",
        "gb18030.cnv",
    ]


@pytest.mark.parametrize("windows", [False, True])
def test_generated_spec_is_python(windows: bool) -> None:
    text = plan.spec_text("childdesk", "9.8.7", windows=windows)
    compile(text, "childdesk.spec", "exec")
    assert "9.8.7" in text
    assert ("childdesk-cli" in text) is windows
    assert "plan.prune(a.binaries)" in text


def test_inno_script_is_per_user_chinese_and_keeps_the_vault() -> None:
    script = plan.inno_script("1.2.3", Path(r"C:\b\dist\childdesk"), Path(r"C:\b\dist"))
    assert "PrivilegesRequired=lowest" in script
    assert "AppVersion=1.2.3" in script
    assert '[Languages]\nName: "chinesesimplified"; MessagesFile: "ChineseSimplified.isl"' in script
    assert r'Name: "{autoprograms}\儿童主任工作台"; Filename: "{app}\childdesk.exe"' in script
    assert "档案库（加密的儿童档案）不会被删除" in script  # the uninstall confirmation
    assert r"ExpandConstant('{localappdata}\childdesk')" in script  # and the final message
    assert plan.INNO_APP_ID in script
    # the vault folder (storage/paths.py on Windows) is never inside the install folder
    assert r"{autopf}\ChildDesk" in script
    assert "childdesk" in plan.WINDOWS_VAULT_DIR


def test_resources_resolve_under_meipass_when_frozen(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resources_root() == tmp_path / "resources"
    monkeypatch.delattr(sys, "_MEIPASS")
    assert resources.resources_root() == ROOT / "resources"
