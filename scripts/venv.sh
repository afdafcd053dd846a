# Sourced by scripts/setup.sh and scripts/test.sh (not run on its own).
# Chooses the Python to install channelkg into and sets PY to it:
#  - inside an activated virtual environment, that environment's python;
#  - otherwise .venv/ in the checkout, created on first use. On Debian and
#    Ubuntu the system Python cannot create one until the python3-venv package
#    is installed (PEP 668 forbids installing into the system Python itself), so
#    that package is installed first when needed (as root, or with sudo).

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

venv_works() {
  [ -x "$1/bin/python" ] && "$1/bin/python" -m pip --version >/dev/null 2>&1
}

ensure_python() {
  if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
    PY="$VIRTUAL_ENV/bin/python"
    return
  fi
  local venv="$PWD/.venv"
  if ! venv_works "$venv"; then
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >/dev/null 2>&1 || ! venv_works "$venv"; then
      rm -rf "$venv"
      if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: python3 cannot create a virtual environment; install its venv module" >&2
        exit 2
      fi
      local version
      version="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
      echo "installing Debian package python${version}-venv (needed to create .venv)" >&2
      export DEBIAN_FRONTEND=noninteractive
      as_root apt-get update -q
      as_root apt-get install -y -q "python${version}-venv"
      python3 -m venv "$venv"
    fi
    echo "created the virtual environment .venv (activate it with: . .venv/bin/activate)" >&2
  fi
  PY="$venv/bin/python"
  export PATH="$venv/bin:$PATH"
}
