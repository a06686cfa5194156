"""Driving a page's Reflex state in a test without a browser: a state signed in as a demo user."""

import asyncio
import contextvars
import inspect
from concurrent.futures import ThreadPoolExecutor

import reflex as rx

from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD
from lowincome_portal.services import auth

# One sign-in per user and database: argon2 is slow on purpose.
_TOKENS: dict[tuple[str, str], str] = {}


def state_for(state_cls, engine, username, root=None):
    """A fresh page state signed in as `username`; pass `root` to get a second page of the same
    browser session (a flash set on one page shows on the next)."""
    import lowincome_portal.lowincome_portal  # noqa: F401 - registers every page state

    root = root or rx.State(_reflex_internal_init=True)
    state = root.get_substate(state_cls.get_full_name().split("."))
    key = (str(engine.url), username)
    if key not in _TOKENS:
        with unit_of_work(engine) as s:
            _TOKENS[key] = auth.login(s, username, DEMO_PASSWORD).token
    state.token = _TOKENS[key]
    return state


def settle(result):
    """What a handler call gives once it has run: page-state handlers are coroutines (their work
    runs in a thread off the event loop, see state/base.py), run here to their end. In a thread
    of its own - after the browser tests Playwright's event loop runs in this one, where
    asyncio.run refuses - with this thread's context (Reflex's registration of the states)."""
    if not inspect.iscoroutine(result):
        return result
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(contextvars.copy_context().run, asyncio.run, result).result()
