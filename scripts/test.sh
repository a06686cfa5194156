#!/usr/bin/env bash
# One command: install what the tests need (venv, bun, Debian's Chromium and a CJK
# font), make sure PostgreSQL answers, and run every test: unit, integration on
# SQLite and PostgreSQL, end-to-end in headless Chromium.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
install_python_and_bun test

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium chromium-driver)
# (grep without -q: with pipefail, -q closing the pipe early would read as "not installed")
fc-list 2>/dev/null | grep -i "noto sans cjk" >/dev/null || need_apt+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
command -v pg_dump >/dev/null 2>&1 || need_apt+=(postgresql-client)  # backup/restore tests
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)  # private Redis of the load and fault tests
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# PostgreSQL is started before the session on this kind of machine; start it if it stopped.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"

exec python -m pytest "$@"
