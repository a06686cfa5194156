"""The signed-in session every page state builds on, and the guard on every protected handler.

Any connected client can call any public event handler, so authorisation happens here,
on the server, on every call: `protected(action)` resolves the session token to a user,
checks `permissions.can`, and turns user-caused errors into a Chinese message.
"""

import asyncio
import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import reflex as rx

from .. import routes
from ..db.uow import unit_of_work
from ..domain.errors import PermissionDenied, PortalError
from ..domain.permissions import Actor, can
from ..domain.roles import ROLE_LABELS
from ..navigation import menu_for
from ..services import areas as area_service
from ..services import auth
from ..services.organisations import organisation_name

log = logging.getLogger(__name__)

MSG_UNEXPECTED = "系统繁忙，操作未完成，请稍后重试；如多次出现请联系系统管理员"
MSG_SIGNED_OUT = "您已安全退出"
MSG_CHANGE_PASSWORD_FIRST = "首次登录或密码被重置后，请先修改密码"


class SessionState(rx.State):
    """Who is signed in, what the header and menu show, and messages for the page."""

    token: str = rx.Cookie("", name="portal_session", same_site="strict")
    user_name: str = ""
    roles_label: str = ""
    area_label: str = ""
    nav_items: list[dict[str, str]] = []
    # checking | ok | denied: what the protected page may show
    page_access: str = "checking"
    error: str = ""
    info: str = ""
    # a message for the sign-in page: why the user was sent there
    notice: str = ""
    # a message to show on the next page entered (e.g. "已保存" after a redirect)
    _flash: str = ""
    # page state name -> the user whose data it holds (0: nobody signed in)
    _page_viewers: dict[str, int] = {}
    # "user:area:organisation" whose place area_label shows
    _place_of: str = ""

    def __init_subclass__(cls, **kwargs):
        _move_off_the_event_loop(cls)
        super().__init_subclass__(**kwargs)

    def _actor(self) -> Actor | None:
        """The user behind this browser's token, checked against the database now."""
        with unit_of_work() as session:
            check = auth.check_session(session, self.token)
        if check.actor is None:
            self._forget(check.message)
        self._hold_data_of(check.actor.user_id if check.actor else 0)
        return check.actor

    def _hold_data_of(self, user_id: int) -> None:
        """A page state holds one user's data. When the tab's user changes (another sign-in on
        a tab left open, a sign-out, an expired session), the page forgets what the earlier user
        loaded before anything else runs - whether the new user is then allowed or refused -
        so the next full sync of the state cannot hand it to the browser."""
        viewers = dict(self._page_viewers)
        for page in _loaded_pages(self):
            key = page.get_full_name()
            if viewers.get(key, user_id) != user_id:  # never entered: it holds nobody's data yet
                page.reset()  # the page state's own fields and its substates', not the session's
            viewers[key] = user_id
        if viewers != self._page_viewers:
            self._page_viewers = viewers

    async def _forget_all_pages(self) -> None:
        """Every page state of this tab that holds someone's data forgets it (on sign-in and
        sign-out): the full sync a page load starts with must not carry the earlier user's data.
        Only pages once entered hold any (entering records the viewer), so only those are loaded."""
        entered = set(self._page_viewers)
        for cls in _page_state_classes():
            if cls.get_full_name() in entered:
                page = await self.get_state(cls)
                page.reset()
        self._page_viewers = {}

    def _forget(self, message: str) -> None:
        if self.token:  # assigning "" again would send it and clear the browser's cookie, which a
            self.token = ""  # tab whose server state was lost still needs (see _without_session)
        self.user_name = self.roles_label = self.area_label = self._place_of = ""
        self.nav_items = []
        self.page_access = "checking"
        self.notice = message

    def _route_arg(self, name: str) -> str:
        """The value of `[name]` in the page's dynamic route (e.g. /r/[resource]/[record])."""
        pattern = self.router.route_id.strip("/").split("/")
        actual = self.router.url.path.strip("/").split("/")
        for part, value in zip(pattern, actual, strict=False):
            if part == f"[{name}]":
                return unquote(value)
        return ""

    def _route_id(self, name: str) -> int:
        """A record id from the dynamic route (0 when missing or not a number: the service then
        says the record does not exist)."""
        try:
            return int(self._route_arg(name) or "0")
        except ValueError:
            return 0

    def _show_user(self, actor: Actor) -> None:
        place_of = f"{actor.user_id}:{actor.area_code}:{actor.org_id}"
        if place_of != self._place_of:  # the header's place is read once, not on every page
            with unit_of_work() as session:
                self.area_label = (area_service.area_path(session, actor.area_code)
                                   or organisation_name(session, actor.org_id))
            self._place_of = place_of
        header = {"user_name": actor.display_name,
                  "roles_label": "、".join(ROLE_LABELS.get(r, r) for r in sorted(actor.roles)),
                  "nav_items": menu_for(actor)}
        for name, value in header.items():
            if getattr(self, name) != value:  # an assignment is sent to the browser even if equal
                setattr(self, name, value)

    def _enter(self, action: str) -> tuple[Actor | None, rx.event.EventSpec | None]:
        """Check the page's action on load: returns the actor, or the redirect to follow."""
        self.error = ""
        self.info, self._flash = self._flash, ""
        actor = self._actor()
        if actor is None:
            return None, rx.redirect(routes.LOGIN)
        self._show_user(actor)
        if actor.must_change_password and action != "account.password":
            self.notice = MSG_CHANGE_PASSWORD_FIRST
            return None, rx.redirect(routes.PASSWORD)
        if not can(actor, action):
            self.page_access = "denied"
            return None, None
        self.page_access = "ok"
        return actor, None

    @rx.event
    async def logout(self):
        with unit_of_work() as session:
            auth.logout(session, self.token)
        self._forget(MSG_SIGNED_OUT)
        await self._forget_all_pages()
        return rx.redirect(routes.LOGIN)


def _move_off_the_event_loop(cls) -> None:
    """Every plain (synchronous) event handler of a page state runs in a worker thread.

    A Reflex worker runs every tab's events on one event loop. The handlers talk to the
    database synchronously, so run on the loop, one handler's queries would hold up every other
    user of that worker (at 100 users the loop was busy 81% of the time, half of it waiting for
    PostgreSQL). In a thread, the loop serves other tabs meanwhile. The tab's state lock is held
    until the handler returns, so nothing else touches this tab's state in the meantime.
    Generators (handlers that yield) and async handlers stay as they are."""
    for name, fn in list(vars(cls).items()):
        if (name.startswith("_") or not inspect.isfunction(fn) or inspect.iscoroutinefunction(fn)
                or inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn)):
            continue
        setattr(cls, name, _in_thread(fn))


def _in_thread(fn):
    @functools.wraps(fn)  # keeps the signature and annotations Reflex maps the browser's args by
    async def handler(self, *args, **kwargs):
        return await asyncio.to_thread(fn, self, *args, **kwargs)

    return handler


def _loaded_pages(state: SessionState) -> list[SessionState]:
    """The page states of this tab that are in memory for the event being processed (with Redis,
    only those the event needs; every state at a full sync)."""
    session = state
    while type(session) is not SessionState:
        session = session.parent_state
    pages, todo = [], list(session.substates.values())
    while todo:
        page = todo.pop()
        pages.append(page)
        todo.extend(page.substates.values())
    return pages


@functools.cache
def _page_state_classes() -> tuple[type[SessionState], ...]:
    found, todo = [], list(SessionState.get_substates())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.get_substates())
    return tuple(found)


def _without_session(state) -> rx.event.EventSpec:
    """Where a call with no usable session goes: the sign-in page - unless the server lost this
    tab's state (Redis restarted or emptied: a fresh state, not hydrated, no token). Then the
    page reloads, which brings the browser's session cookie back, so a signed-in user stays
    signed in and only does the click again; a signed-out one reaches sign-in from the reload."""
    path = state.router.url.path
    if not state.is_hydrated and not state.token and path.startswith("/") and path != routes.LOGIN:
        return rx.redirect(path)
    return rx.redirect(routes.LOGIN)


def _checked_actor(state, action) -> tuple[Actor | None, Any]:
    """(actor, None) when allowed; otherwise (None, what the handler should return)."""
    actor = state._actor()
    if actor is None:
        return None, _without_session(state)
    wanted = action(state) if callable(action) else action
    if not can(actor, wanted):
        log.warning("refused %s to user %s", wanted, actor.username)
        state.error = PermissionDenied.default_message
        return None, None
    state.error = state.info = ""  # a new action: the last one's outcome no longer applies
    return actor, None


def _report_failure(state, name: str, actor: Actor, exc: Exception) -> None:
    """A user-caused refusal shows its Chinese message; anything else is a bug: logged, generic message."""
    if isinstance(exc, PortalError):
        state.error = exc.message
    else:
        log.exception("handler %s failed for user %s", name, actor.username, exc_info=exc)
        state.error = MSG_UNEXPECTED


def _hide_actor(handler, fn, action):
    """Reflex reads the signature to map browser arguments: hide `actor` from it."""
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    handler.__signature__ = signature.replace(parameters=[params[0], *params[2:]])
    handler.__annotations__ = {k: v for k, v in fn.__annotations__.items() if k != "actor"}
    del handler.__wrapped__
    handler.protected_action = action if isinstance(action, str) else f"<{fn.__name__}>"
    return handler


def protected(action: str | Callable[[Any], str]):
    """Guard an event handler: signed in, `action` allowed, user errors shown in Chinese.

    `action` is the action name, or a function of the state that names it (the generic
    resource pages check "<resource>.<op>" for the resource the page was entered with).
    The handler receives the checked actor as its first argument after self; the
    browser never sees that parameter. Record-level scope is checked by the service.
    Works for plain and for async handlers (uploads).
    """

    def decorate(fn):
        def failed(self, actor, exc: Exception) -> None:
            _report_failure(self, fn.__name__, actor, exc)

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_handler(self, *args, **kwargs):
                actor, refusal = _checked_actor(self, action)
                if actor is None:
                    return refusal
                try:
                    return await fn(self, actor, *args, **kwargs)
                except Exception as exc:  # noqa: BLE001 - turned into a message, logged if a bug
                    failed(self, actor, exc)
                return None

            return _hide_actor(async_handler, fn, action)

        @functools.wraps(fn)
        def handler(self, *args, **kwargs):
            actor, refusal = _checked_actor(self, action)
            if actor is None:
                return refusal
            try:
                return fn(self, actor, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - turned into a message, logged if a bug
                failed(self, actor, exc)
            return None

        return _hide_actor(handler, fn, action)

    return decorate


def protected_background(action: str):
    """`protected` for a background task: the check runs under the state lock, and the task
    gets the actor. The task itself changes state only inside `async with self`."""

    def decorate(fn):
        @functools.wraps(fn)
        async def handler(self, *args, **kwargs):
            async with self:
                actor, refusal = _checked_actor(self, action)
            if actor is None:
                return refusal
            try:
                return await fn(self, actor, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - turned into a message, logged if a bug
                async with self:
                    _report_failure(self, fn.__name__, actor, exc)
            return None

        return _hide_actor(handler, fn, action)

    return decorate
