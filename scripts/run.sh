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

# Print the logins again once the portal answers: Reflex's own output pushes them off screen.
(
  for _ in $(seq 1 180); do
    if curl -sf -o /dev/null http://localhost:3000/; then
      echo; echo "门户已启动：http://localhost:3000/"; lowincome-portal demo-logins; exit 0
    fi
    sleep 2
  done
) &

# prod (the default) builds once and serves frontend and backend together on :3000;
# PORTAL_ENV=dev serves the hot-reloading frontend on :3000 and the backend on :8000.
if [ "${PORTAL_ENV:-prod}" = "dev" ]; then
  exec reflex run --env dev --frontend-port 3000 --backend-port 8000
fi
exec reflex run --env prod --frontend-port 3000 --backend-port 3000
