#!/usr/bin/env bash
# Install everything the test suite needs, then run ruff, mypy --strict, the data-quality
# gate (channelkg check --fail-on warn) and pytest
# (extra arguments go to pytest, which runs one worker per core). `.ci/run` runs exactly this.
# Needs root (or sudo) for the Debian packages: Chromium for the browser tests,
# Virtuoso Open Source for the remote-store tests, the OWL API and a JDK for the OWL 2
# DL profile test. The Python packages go into the
# active virtual environment, or into .venv/ of this checkout (see scripts/venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/virtuoso-t ] || need+=(virtuoso-opensource)
# The OWL API (Java) checks the ontology against the OWL 2 DL profile (tests/test_w3c_owl.py).
[ -f /usr/share/java/owlapi-distribution.jar ] || need+=(libowlapi-java)
command -v javac >/dev/null || need+=(default-jdk-headless)
command -v npm >/dev/null || need+=(npm)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}" >&2
  # Preseed Virtuoso's dba password so the install asks nothing.
  printf '%s\n' \
    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password password dba" \
    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password dba" \
    | $SUDO debconf-set-selections
  # Do not start system services during the install: the tests start their own
  # servers on 127.0.0.1.
  policy_created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    policy_created=1
  fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q "${need[@]}"
  if [ "$policy_created" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi

ensure_python
# npm_pinned DIR PACKAGE NAME: install the version of PACKAGE pinned in DIR/package-lock.json
# into DIR's git-ignored node_modules/ (npm ci), unless that version is there already.
npm_pinned() {
  if [ "$(cd "$1" && node -p "try { require('./node_modules/$2/package.json').version }
      catch (e) { '' }")" != "$(cd "$1" && node -p "require('./package.json')
      .dependencies['$2']")" ]; then
    echo "installing $3 (npm ci in $1)" >&2
    (cd "$1" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  fi
}
# YASGUI for the CORS test in Chromium (tests/test_serve_yasgui.py); Comunica's SPARQL
# command line for tests/test_comunica.py.
npm_pinned tests/browser/yasgui @zazuko/yasgui YASGUI
npm_pinned tests/clients/comunica @comunica/query-sparql Comunica
"$PY" -m pip install -q --disable-pip-version-check -e '.[test]'
"$PY" -m ruff check src tests benchmarks scripts
"$PY" -m mypy --strict src/channelkg
"$PY" -m channelkg check --fail-on warn
# pytest in one worker per core (pytest-xdist); tests/conftest.py keeps the tests that
# share a module-scoped fixture in one worker. Arguments given here come after, so
# `bash scripts/test.sh -n 0` runs in this process.
"$PY" -m pytest -n auto --dist loadgroup "$@" </dev/null
