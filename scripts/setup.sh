#!/usr/bin/env bash
# Install channelkg into a virtual environment and print the seed article's table
# from the bundled graph. Inside an activated virtual environment it installs into
# that one; otherwise into .venv/ of this checkout, created (with Debian's
# python3-venv package, if missing) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh

ensure_python
"$PY" -m pip install -q --disable-pip-version-check -e .
"$PY" -m channelkg query seed-table
