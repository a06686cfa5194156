#!/usr/bin/env bash
# Production start: PostgreSQL, Reflex state in Redis, several backend workers behind one port.
# Configuration comes only from the environment; nothing secret is in the repository.
#   PORTAL_SECRET_KEY  required: at least 32 random characters (seals session tokens and the audit trail)
#   DATABASE_URL       required: postgresql+psycopg://user@host:5432/db
#   REFLEX_REDIS_URL   required: redis://host:6379/0
#   PORTAL_WORKERS     backend worker processes (default 2)
#   PORTAL_PORT        the one port for pages and websocket (default 3000)
#   PORTAL_HOST        address to listen on (default 127.0.0.1: behind the county's TLS reverse proxy)
# A missing setting stops the start before the database or the server is touched, saying what to set.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
export PORTAL_DEPLOYMENT=production
install_python_and_bun app
lowincome-portal check-config
lowincome-portal migrate
export GRANIAN_WORKERS="${PORTAL_WORKERS:-2}"
port="${PORTAL_PORT:-3000}"
echo "生产模式启动：${GRANIAN_WORKERS} 个后端进程，端口 ${port}"
# reflex run, with a dead worker replaced instead of the whole portal stopping (see the module)
exec python -m lowincome_portal.production_server run --env prod --frontend-port "$port" --backend-port "$port" \
  --backend-host "${PORTAL_HOST:-127.0.0.1}"
