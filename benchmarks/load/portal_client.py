"""One browser tab of the portal over Reflex's real socket.io websocket (模拟一个浏览器标签页).

Speaks what the compiled frontend (Reflex 0.10.1 `.web/utils/state.js`) speaks:

- connect to `/_event` (websocket transport only) with `?token=<tab uuid>`; the CONNECT packet
  carries the boot event `reflex___state____state.hydrate_and_load` with the page's router data
  (`pathname`, `asPath`, `query` holding the dynamic route's parameters) and the tab's cookies
  as `vars` ({full state var name: value}) - the server answers with the whole state, then runs
  the page's on_load handlers and ends with `is_hydrated` true;
- a navigation inside the app sends `update_vars_internal` (the cookies) and `on_load_internal`
  with the new page's router data, and again ends with `is_hydrated` true;
- an event is {name: "<full state name>.<handler>", payload: {arg: value}, router_data};
- the server sends "event" messages {delta: {state: {var_rx_state_: value}}, events: [...]}; events
  whose name starts with "_" are for the browser: `_redirect` (navigate), `_call_function`
  (e.g. the toast Reflex shows when a handler raises), `_remove_cookie`. A var declared as
  rx.Cookie is stored as a cookie whenever a delta carries it (not while the delta still says
  `is_hydrated` false) and sent back on the next hydrate or navigation.

Reflex 0.10 no longer marks the last message of an event (`final` is deprecated), so a call
ends when a message satisfies its `until` predicate: by default the first message after the
emit (each portal handler assigns its page's vars, so it always sends one delta), for a page load
`is_hydrated` true. Latency is emit to that message.

The boot event carries no `hashes` of compiled defaults (a browser sends them only on its very
first connect), so the server sends the whole state, as it does on a browser's reconnect. A
dropped socket reconnects by itself and rehydrates the current page; a call waiting at that
moment fails ("connection lost": its outcome is unknown), later calls wait for the rehydrate.

Problems are surfaced, never swallowed: a call that times out, a connection lost while a
call waits, a server exception (Reflex's error toast) and - for actions that should succeed - any
non-empty `error` var in any state are recorded on the Step and in `tab.problems`.
"""

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import socketio
from reflex_base.constants.compiler import CompileVars
from reflex_base.constants.state import FIELD_MARKER

# The names the compiled frontend uses, from Reflex's own constants.
ROOT_STATE = "reflex___state____state"
FIELD = FIELD_MARKER
HYDRATE_AND_LOAD = f"{ROOT_STATE}.{CompileVars.HYDRATE_AND_LOAD}"
UPDATE_VARS = f"{ROOT_STATE}.{CompileVars.UPDATE_VARS_INTERNAL}"
ON_LOAD_INTERNAL = f"{ROOT_STATE}.{CompileVars.ON_LOAD_INTERNAL}"
# A no-op through the whole event pipeline (state lock, Redis, delta): the bare baseline.
NOOP_EVENT = ON_LOAD_INTERNAL.rsplit(".", 1)[0] + ".set_is_hydrated"
SESSION_STATE = f"{ROOT_STATE}.lowincome_portal___state___base____session_state"
# The portal's one browser-stored var: SessionState.token as the cookie portal_session.
PORTAL_COOKIES = {f"{SESSION_STATE}.token{FIELD}": "portal_session"}


def _portal_routes() -> tuple[str, ...]:
    try:
        from lowincome_portal import routes
    except ImportError:
        return ()
    return tuple(v for v in vars(routes).values() if isinstance(v, str) and v.startswith("/"))


class TabError(Exception):
    """A call that could not finish (timeout, connection lost, not connected)."""


@dataclass
class Step:
    """One user-visible action and how it went."""

    kind: str                  # e.g. "login", "page:/r/[resource]", "record_visit"
    name: str                  # the event or path
    started: float             # time.time() at the emit
    seconds: float | None = None
    ok: bool = True
    error: str = ""
    redirect: str | None = None
    messages: int = 0


@dataclass
class _Pending:
    until: Callable[[dict], bool]
    done: asyncio.Future
    messages: int = 0


class PortalTab:
    """A browser tab: one socket, one token, its cookies, the merged state it was sent."""

    def __init__(self, base_url: str, *, timeout: float = 30.0, reconnect: bool = True,
                 cookie_vars: dict[str, str] | None = None, routes: tuple[str, ...] | None = None,
                 label: str = ""):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.label = label
        self.token = str(uuid.uuid4())
        self.cookie_vars = dict(PORTAL_COOKIES if cookie_vars is None else cookie_vars)
        self.routes = _portal_routes() if routes is None else routes
        self.state: dict[str, dict[str, Any]] = {}
        self.cookies: dict[str, str] = {}
        self.path = "/"
        self.redirect: str | None = None        # a _redirect not yet followed
        self.problems: list[str] = []            # server exceptions and protocol surprises
        self.steps: list[Step] = []
        self.connects = 0
        self.disconnects = 0
        self.new_tokens = 0
        self.emitted = 0                         # events sent, the boot event included
        self._pending: _Pending | None = None
        self._reconnect = reconnect
        self._closing = False
        self._sio: socketio.AsyncClient | None = None

    # ---- what the tab holds ---------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._sio is not None and self._sio.connected

    @property
    def reconnects(self) -> int:
        return max(0, self.connects - 1)

    def value(self, state: str, var: str, default: Any = None) -> Any:
        """A var of a state, by full state name and plain var name (e.g. SESSION_STATE, "error")."""
        return self.state.get(state, {}).get(var + FIELD, default)

    def error_vars(self) -> dict[str, str]:
        """Every non-empty `error` var, by state name."""
        return {name: vars_[f"error{FIELD}"] for name, vars_ in self.state.items()
                if vars_.get(f"error{FIELD}")}

    @property
    def hydrated(self) -> bool:
        return bool(self.value(ROOT_STATE, "is_hydrated"))

    # ---- router data as the frontend sends it ---------------------------------------------------

    def router_data(self, path: str | None = None) -> dict:
        path = path or self.path
        parts = urlsplit(path)
        data: dict[str, Any] = {"pathname": parts.path, "asPath": path}
        query = dict(self._route_params(parts.path))
        for pair in filter(None, parts.query.split("&")):
            key, _, value = pair.partition("=")
            query[key] = value
        if query:
            data["query"] = query
        return data

    def _route_params(self, pathname: str) -> dict[str, str]:
        return self._match(pathname)[1]

    def _match(self, pathname: str) -> tuple[str, dict[str, str]]:
        """The route a path belongs to and its parameters, as React Router resolves it (a static
        route such as /households/new wins over /households/[household_id])."""
        actual = pathname.strip("/").split("/")
        best: tuple[str, dict[str, str]] | None = None
        for pattern in self.routes:
            parts = pattern.strip("/").split("/")
            if len(parts) != len(actual):
                continue
            params = {}
            for p, a in zip(parts, actual, strict=True):
                m = re.fullmatch(r"\[(\w+)\]", p)
                if m:
                    params[m.group(1)] = a
                elif p != a:
                    break
            else:
                if best is None or len(params) < len(best[1]):
                    best = (pattern, params)
        return best or (pathname, {})

    def _storage_vars(self) -> dict[str, str]:
        return {key: self.cookies[name] for key, name in self.cookie_vars.items() if name in self.cookies}

    def _boot_auth(self) -> dict:
        payload = {"vars": v} if (v := self._storage_vars()) else {}
        return {"event": {"name": HYDRATE_AND_LOAD, "payload": payload, "router_data": self.router_data()}}

    # ---- the socket -----------------------------------------------------------------------------

    async def connect(self, path: str = "/login", *, kind: str = "connect") -> Step:
        """Open the socket on `path` and wait until the page is hydrated and loaded."""
        self.path = path
        sio = socketio.AsyncClient(reconnection=self._reconnect, reconnection_delay=0.5,
                                   reconnection_delay_max=3, handle_sigint=False,
                                   websocket_extra_options={"max_msg_size": 0})
        sio.on("event", self._on_event, namespace="/_event")
        sio.on("new_token", self._on_new_token, namespace="/_event")
        sio.on("connect", self._on_connect, namespace="/_event")
        sio.on("disconnect", self._on_disconnect, namespace="/_event")
        self._sio = sio
        step = Step(kind, path, time.time())
        started = time.perf_counter()
        self._pending = _Pending(_is_hydrated, asyncio.get_running_loop().create_future())
        self.emitted += 1
        try:
            await sio.connect(f"{self.base_url}?token={self.token}", transports=["websocket"],
                              socketio_path="/_event", namespaces=["/_event"], auth=self._boot_auth,
                              wait_timeout=self.timeout)
            await self._finish(step, started)
        except (socketio.exceptions.ConnectionError, TabError, TimeoutError, OSError) as exc:
            self._fail(step, started, f"connect: {exc!r}")
        finally:
            self._pending = None
        self._take_redirect(step)
        self.steps.append(step)
        return step

    async def close(self) -> None:
        if self._sio is not None:
            self._closing = True
            try:
                await self._sio.disconnect()
            finally:
                self._sio = None

    async def _on_connect(self) -> None:
        self.connects += 1
        if self.connects > 1:  # a reconnect: the server rehydrates the page before anything else
            self.state.setdefault(ROOT_STATE, {})[f"is_hydrated{FIELD}"] = False

    async def _on_disconnect(self, *_reason) -> None:
        if self._closing:
            return
        self.disconnects += 1
        if self._pending and not self._pending.done.done():
            self._pending.done.set_exception(TabError("connection lost while waiting"))

    async def _on_new_token(self, token: str) -> None:
        self.new_tokens += 1
        self.token = token

    async def _on_event(self, update: dict) -> None:
        arrived = time.perf_counter()
        delta = update.get("delta") or {}
        for name, values in delta.items():
            self.state.setdefault(name, {}).update(values)
        # as the frontend: a delta that says "not hydrated yet" carries reset defaults, not cookies
        if delta.get(ROOT_STATE, {}).get(f"is_hydrated{FIELD}") is not False:
            self._store_cookies(delta)
        for event in update.get("events") or []:
            self._frontend_event(event)
        pending = self._pending
        if pending and not pending.done.done():
            pending.messages += 1
            if pending.until(update):
                pending.done.set_result(arrived)

    def _store_cookies(self, delta: dict) -> None:
        for name, values in delta.items():
            for key, value in values.items():
                cookie = self.cookie_vars.get(f"{name}.{key}")
                if cookie is not None:
                    self.cookies[cookie] = "" if value is None else str(value)

    def _frontend_event(self, event: dict) -> None:
        name, payload = event.get("name", ""), event.get("payload") or {}
        if name == "_redirect":
            self.redirect = payload.get("path")
        elif name == "_remove_cookie":
            self.cookies.pop(payload.get("key", ""), None)
        elif name in ("_call_function", "_call_script"):
            text = json.dumps(payload, ensure_ascii=False)
            if "An error occurred" in text or "backend_error" in text or "window.alert" in text:
                self.problems.append(f"server exception shown to the user: {text[:300]}")
        elif not name.startswith("_"):
            self.problems.append(f"unexpected backend event sent to the browser: {name}")

    # ---- calls ----------------------------------------------------------------------------------

    async def _emit(self, name: str, payload: dict | None, path: str | None = None) -> None:
        if not self.connected or (self.connects > 1 and not self.hydrated and name != ON_LOAD_INTERNAL
                                  and name != UPDATE_VARS):
            await self._wait_connected()
        event = {"name": name, "payload": payload or {}, "router_data": self.router_data(path)}
        self.emitted += 1
        await self._sio.emit("event", event, namespace="/_event")

    async def _wait_connected(self) -> None:
        """A dropped socket reconnects by itself (and rehydrates, as the browser does): wait for it."""
        deadline = time.perf_counter() + self.timeout
        while not (self.connected and self.hydrated):
            if self._sio is None or not self._reconnect or time.perf_counter() > deadline:
                raise TabError("not connected" if not self.connected else "not rehydrated after reconnecting")
            await asyncio.sleep(0.1)

    async def _finish(self, step: Step, started: float) -> None:
        pending = self._pending
        try:
            arrived = await asyncio.wait_for(asyncio.shield(pending.done), self.timeout)
        except TimeoutError:
            raise TabError(f"no answer within {self.timeout:.0f} s") from None
        step.seconds = arrived - started
        step.messages = pending.messages

    def _fail(self, step: Step, started: float, why: str) -> None:
        step.ok, step.error = False, why
        step.seconds = time.perf_counter() - started
        self.problems.append(f"{step.kind}: {why}")

    def _take_redirect(self, step: Step) -> None:
        if self.redirect is not None:
            step.redirect, self.redirect = self.redirect, None

    async def call(self, handler: str, payload: dict | None = None, *, kind: str | None = None,
                   until: Callable[[dict], bool] | None = None, expect_ok: bool = True) -> Step:
        """Emit one event (full handler name) and wait for its answer. With expect_ok, a non-empty
        `error` var afterwards is a failure of the step."""
        step = Step(kind or handler.rsplit(".", 1)[-1], handler, time.time())
        started = time.perf_counter()
        problems_before = len(self.problems)
        self._pending = _Pending(until or _any_message, asyncio.get_running_loop().create_future())
        try:
            await self._emit(handler, payload)
            await self._finish(step, started)
        except TabError as exc:
            self._fail(step, started, str(exc))
        finally:
            self._pending = None
        self._judge(step, problems_before, expect_ok)
        self._take_redirect(step)
        self.steps.append(step)
        return step

    async def navigate(self, path: str, *, kind: str | None = None, expect_ok: bool = True) -> Step:
        """Go to another page inside the app, as a link or a _redirect does (no new socket)."""
        route = self._route_of(path)
        step = Step(kind or f"page:{route}", path, time.time())
        started = time.perf_counter()
        problems_before = len(self.problems)
        self.path = path
        self.state.setdefault(ROOT_STATE, {})[f"is_hydrated{FIELD}"] = False
        self._pending = _Pending(_is_hydrated, asyncio.get_running_loop().create_future())
        try:
            if storage := self._storage_vars():
                await self._emit(UPDATE_VARS, {"vars": storage})
            await self._emit(ON_LOAD_INTERNAL, {})
            await self._finish(step, started)
        except TabError as exc:
            self._fail(step, started, str(exc))
        finally:
            self._pending = None
        self._judge(step, problems_before, expect_ok)
        self._take_redirect(step)
        self.steps.append(step)
        return step

    async def follow(self, *, limit: int = 3) -> list[Step]:
        """Follow pending _redirects (a redirect's page may redirect again), as the browser does."""
        steps = []
        while self.redirect is not None and len(steps) < limit:
            target, self.redirect = self.redirect, None
            steps.append(await self.navigate(target))
            if steps[-1].redirect:
                self.redirect = steps[-1].redirect
        return steps

    async def noop(self) -> Step:
        """The bare round trip: one event that does nothing but set a flag."""
        return await self.call(NOOP_EVENT, {"value": True}, kind="noop", expect_ok=False)

    def _judge(self, step: Step, problems_before: int, expect_ok: bool) -> None:
        new = self.problems[problems_before:]
        if step.ok and any(p.startswith("server exception") for p in new):
            step.ok, step.error = False, next(p for p in new if p.startswith("server exception"))
        if step.ok and expect_ok and (errors := self.error_vars()):
            step.ok, step.error = False, f"error var: {errors}"
            self.problems.append(f"{step.kind}: {step.error}")

    def _route_of(self, path: str) -> str:
        return self._match(urlsplit(path).path)[0]

    # ---- helpers --------------------------------------------------------------------------------

    @classmethod
    async def smoke(cls, base_url: str, path: str = "/login", timeout: float = 10.0) -> Step:
        """Connect, load one page, disconnect; raises TabError unless it worked."""
        tab = cls(base_url, timeout=timeout, reconnect=False)
        try:
            step = await tab.connect(path)
        finally:
            await tab.close()
        if not step.ok:
            raise TabError(step.error)
        return step


def _any_message(_update: dict) -> bool:
    return True


def _is_hydrated(update: dict) -> bool:
    return (update.get("delta") or {}).get(ROOT_STATE, {}).get(f"is_hydrated{FIELD}") is True


def until_redirect_or(state: str, var: str) -> Callable[[dict], bool]:
    """For a handler that answers with a _redirect on success, or sets `var` on refusal."""
    def done(update: dict) -> bool:
        if any(e.get("name") == "_redirect" for e in update.get("events") or []):
            return True
        return bool((update.get("delta") or {}).get(state, {}).get(var + FIELD))
    return done


def run_sync(coro):
    """Run a coroutine to its end from plain code - also from inside a running event loop (in a
    thread of its own, so the caller's loop is not re-entered)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
