#!/usr/bin/env bash
# Set up a fresh machine: Debian packages (when root), a virtual environment in .venv, and the suite
# with all its extras. Safe to run again: it only redoes what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
mapfile -t APT_PACKAGES < <(grep -v '^\s*#' scripts/apt-packages.txt | sed '/^\s*$/d')

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: these Debian packages are missing and this is not root, so they were not installed:" >&2
    echo "         sudo apt-get install -y ${missing[*]}" >&2
    echo "       (without them: no Opus anchor, no MP4/Opus decoding, and no embedded corpus build)" >&2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.lowrate-codec-bench-$(cat pyproject.toml scripts/apt-packages.txt | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  echo "setup: installing the suite and its dependencies into $VENV (first time: several GB, a few minutes)"
  "$VENV/bin/python" -m pip install -q -e '.[all]'
  rm -f "$VENV"/.lowrate-codec-bench-*
  touch "$stamp"
fi
echo "setup: ready ($("$VENV/bin/python" -c 'import torch, torchaudio; print("torch", torch.__version__, "torchaudio", torchaudio.__version__)'))"
