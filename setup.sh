#!/usr/bin/env bash
# Sets up a development/test environment from a clean clone:
#  - system packages (Debian/Ubuntu, only when missing and when we can install them):
#      libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3  — the shared libraries Qt 6
#          (PySide6 wheels) loads even on the offscreen platform;
#      poppler-utils — pdftoppm, used by tests to render printed PDFs to PNG;
#      age — the standard age tool, tests prove it opens sync batch files;
#      postgresql — the server binaries the district-server tests start on a temporary cluster;
#      binutils — objdump/strip/objcopy/ld, which PyInstaller and build_installer.py use on Linux;
#      icu-devtools — icupkg/genccode, build_installer.py trims Qt's 32 MB ICU data with them;
#      libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-render-util0
#          libxcb-image0 libxkbcommon-x11-0 — what Qt's X11 (xcb) platform plug-in needs to open
#          a real window; xvfb xauth — a virtual display, so `xvfb-run -a childdesk --demo`
#          runs the desktop app on a machine without a screen;
#      openbox tint2 xdotool imagemagick — the end-to-end suite (tests/e2e/): a window manager
#          and a taskbar on that display, real mouse and keyboard input, screenshots;
#      chromium chromium-headless-shell fonts-noto-cjk — the browser the district-console tests
#          drive with Playwright (executable_path=/usr/bin/chromium; Playwright's own browser is
#          never downloaded), Debian's build of its headless shell (the same Blink, about half
#          the CPU per page: most console tests use it; tests/console/screenshots.py says which
#          use the whole browser) and CJK fonts so its screenshots show Chinese.
#      python3-venv — venv for the distribution's Python (below);
#  - a virtual environment in .venv with the project and its pinned dev + district extras, made
#    from $PYTHON if set, else from the distribution's /usr/bin/python3 when it is 3.11 or newer,
#    else from python3 on PATH. Debian builds its Python with PGO and LTO; a source build without
#    --enable-optimizations (pyenv's default, which may come first on PATH) ran this project's
#    suite ~15 % slower and its questionnaire benchmark at half the speed (docs/performance.md).
#    A .venv made from another interpreter is made again.
# Re-running is cheap: pip is skipped while pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")"

need_pkgs=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 poppler-utils age postgresql binutils icu-devtools \
           libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-render-util0 \
           libxcb-image0 libxkbcommon-x11-0 xvfb xauth openbox tint2 xdotool imagemagick chromium chromium-headless-shell fonts-noto-cjk python3-venv; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
  done
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing system packages: ${need_pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "setup: please install these system packages: ${need_pkgs[*]}" >&2
  fi
fi

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  PY=python3
  if /usr/bin/python3 -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PY=/usr/bin/python3
  fi
fi
base=$("$PY" -c 'import os, sys; print(os.path.realpath(sys.executable))')
made_from=.venv/.childdesk-interpreter
if [ -x .venv/bin/python ] && [ "$(cat "$made_from" 2>/dev/null)" != "$base" ]; then
  echo "setup: making .venv again from $base"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  echo "$base" > "$made_from"
fi
stamp=.venv/.childdesk-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev,district]"
  echo "$want" > "$stamp"
fi
