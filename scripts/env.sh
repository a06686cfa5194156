# Sourced by run.sh and test.sh: where the project's own tools live and the
# environment Reflex needs on a machine that reaches only package registries.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
TOOLS="$ROOT/.tools"
export PATH="$VENV/bin:$TOOLS/node_modules/.bin:$PATH"
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
# Reflex probes mirrors for speed unless told which registry to use.
if [ -z "${NPM_CONFIG_REGISTRY:-}" ] && command -v npm >/dev/null 2>&1; then
  NPM_CONFIG_REGISTRY="$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)"
  export NPM_CONFIG_REGISTRY
fi

# Install (idempotently) the venv with the package and bun from the npm registry.
# $1: "app" or "test" (test adds the test extras).
install_python_and_bun() {
  local extras="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$extras"
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    local target="$ROOT"
    [ "$extras" = "test" ] && target="$ROOT[test]"
    # This machine's pip config names local index folders that may be absent: hide that noise.
    "$VENV/bin/pip" install -q -e "$target" 2> >(grep -v "^WARNING: Location" >&2)
    touch "$stamp"
  fi
  if [ ! -x "$TOOLS/node_modules/.bin/bun" ]; then
    # Reflex cannot download bun here; the npm registry ships it.
    npm install --silent --no-audit --no-fund --prefix "$TOOLS" bun@1.4.5 >/dev/null
  fi
}
