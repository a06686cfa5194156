"""`reflex run`, with two changes for production: granian starts a new backend worker when one
dies, instead of stopping the whole portal; and Reflex's Redis state manager keeps a tab's state
in the worker that serves it between events (its "opportunistic lock").

Reflex 0.10 builds granian's server itself and leaves `respawn_failed_workers` at its default
(off): a single crashed or killed worker then ends every worker and every user's session. The
server class is swapped for one with respawning on before Reflex's command runs, in this
process, where Reflex's production backend is started. Used by scripts/prod.sh:

    python -m lowincome_portal.production_server run --env prod --frontend-port 3000 --backend-port 3000
"""

import os
import sys

import granian.server


class RespawningServer(granian.server.Server):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("respawn_failed_workers", True)
        super().__init__(*args, **kwargs)


def prepare() -> None:
    """What every production start does before Reflex starts the backend (also serve_built.py)."""
    granian.server.Server = RespawningServer  # read by reflex.utils.exec when the backend starts
    # Without it every event loads the tab's states from Redis, checks the lock once per state
    # and writes them back: at 100 users a fifth of the workers' CPU, and p95 485 ms instead of
    # 192 ms in 120 s runs (docs/benchmarks/load.md). With it, the worker that holds a tab's
    # lock keeps the state in memory for a few seconds and writes it to Redis when the lease
    # ends or when another worker asks for that tab. A Redis restart inside a lease loses the
    # answer to that tab's next click (the click itself is done): see docs/operations.md.
    # Records are in the database, committed by each handler before it returns; a worker that
    # dies loses at most those seconds of a tab's page state (which page, what the form showed),
    # and its tabs wait for the lock to expire (Reflex's redis_lock_expiration) on the other
    # worker. An explicit REFLEX_OPLOCK_ENABLED wins.
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")


def main(argv: list[str] | None = None) -> None:
    prepare()
    from reflex.reflex import cli

    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="reflex")


if __name__ == "__main__":
    main()
