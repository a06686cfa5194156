"""Work the backend does by itself while it runs: once an hour, end the recognitions whose
time is up (services/reviews.py) and escalate the warnings past their step's deadline
(services/warnings.py). Idempotent, so several backend workers may all run it."""

import asyncio
import logging

from .db.uow import unit_of_work
from .services import reviews, warnings
from .services.households import today_in_china

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 3600


def run_once() -> dict[str, int]:
    """One round: {"ended": recognitions ended, "escalated": warnings escalated}."""
    today = today_in_china()
    # two transactions: a failure in one job must not roll back the other's work
    with unit_of_work() as session:
        ended = reviews.end_lapsed_recognitions(session, today=today)
    with unit_of_work() as session:
        escalated = warnings.escalate_overdue(session, today=today)
    return {"ended": ended, "escalated": escalated}


async def run_hourly() -> None:
    while True:
        try:
            done = await asyncio.to_thread(run_once)
            if done["ended"]:
                log.info("ended %d lapsed recognitions", done["ended"])
            if done["escalated"]:
                log.info("escalated %d overdue warnings", done["escalated"])
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failed round is logged and retried next hour
            log.exception("hourly chores failed")
        await asyncio.sleep(INTERVAL_SECONDS)
