"""`reflex run`, with one change for production: granian starts a new backend worker when one
dies, instead of stopping the whole portal.

Reflex 0.10 builds granian's server itself and leaves `respawn_failed_workers` at its default
(off): a single crashed or killed worker then ends every worker and every user's session. The
server class is swapped for one with respawning on before Reflex's command runs, in this
process, where Reflex's production backend is started. Used by scripts/prod.sh:

    python -m lowincome_portal.production_server run --env prod --frontend-port 3000 --backend-port 3000
"""

import sys

import granian.server


class RespawningServer(granian.server.Server):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("respawn_failed_workers", True)
        super().__init__(*args, **kwargs)


def main(argv: list[str] | None = None) -> None:
    granian.server.Server = RespawningServer  # read by reflex.utils.exec when the backend starts
    from reflex.reflex import cli

    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="reflex")


if __name__ == "__main__":
    main()
