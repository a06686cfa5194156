#!/usr/bin/env bash
# One command: install, migrate an embedded SQLite database, load the demo county,
# print the demo logins and start the portal at http://localhost:3000.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
install_python_and_bun app
export DATABASE_URL="${DATABASE_URL:-sqlite:///$ROOT/data/portal.db}"
mkdir -p "$ROOT/data"
lowincome-portal migrate
lowincome-portal seed-demo
lowincome-portal demo-logins
exec reflex run --env "${PORTAL_ENV:-dev}" --frontend-port 3000 --backend-port 8000
