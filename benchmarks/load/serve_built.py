"""Serve an existing production build without compiling or building again (run from the
project directory that holds the build):

    python benchmarks/load/serve_built.py --port 3000 [--host 127.0.0.1]

Does what `reflex run --env prod` (as scripts/prod.sh runs it) does once its build is done -
Reflex's own production backend (granian, GRANIAN_WORKERS workers, a dead one replaced) with the
compiled frontend mounted on the same port - and skips the compile and the bun build before it.
The build must have been made for this port.
"""

import argparse
import os
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    # the app and rxconfig.py are imported from the current directory, as `reflex run` does
    sys.path.insert(0, os.getcwd())

    from reflex.utils import exec as reflex_exec
    from reflex_base import constants
    from reflex_base.config import get_config
    from reflex_base.environment import environment

    try:  # as scripts/prod.sh: granian replaces a worker that dies, tab states kept in the worker
        from lowincome_portal.production_server import prepare

        prepare()
    except ImportError:
        pass
    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    config = get_config()
    config._set_persistent(frontend_port=args.port, backend_port=args.port)  # noqa: SLF001 - as reflex run
    reflex_exec.notify_app_running()
    reflex_exec.run_backend_prod(args.host, args.port, config.loglevel.subprocess_level(),
                                 mount_frontend_compiled_app=True)


if __name__ == "__main__":
    main()
