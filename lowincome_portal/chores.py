"""Work the backend does by itself while it runs: once an hour, end the recognitions whose
time is up (services/reviews.py). Idempotent, so several backend workers may all run it."""

import asyncio
import logging

from .db.uow import unit_of_work
from .services import reviews
from .services.households import today_in_china

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 3600


def run_once() -> int:
    with unit_of_work() as session:
        return reviews.end_lapsed_recognitions(session, today=today_in_china())


async def run_hourly() -> None:
    while True:
        try:
            ended = await asyncio.to_thread(run_once)
            if ended:
                log.info("ended %d lapsed recognitions", ended)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failed round is logged and retried next hour
            log.exception("hourly chores failed")
        await asyncio.sleep(INTERVAL_SECONDS)
