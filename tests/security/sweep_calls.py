"""Calling one handler as a browser's events would, and watching what it does: every statement
it sends that would change the database, which action the guard checked, and everything it
leaves in the page state or hands to the browser (the files of rx.download included)."""

import base64
import contextlib
import io
import json
import re
import subprocess
from dataclasses import dataclass

import reflex as rx
from reflex import constants
from reflex.istate.data import RouterData
from reflex_base.event import EventHandler, EventSpec
from sqlalchemy import event

from lowincome_portal.state import base
from lowincome_portal.state.base import SessionState
from tests.page_states import settle
from tests.pdftext import pdf_text

from .sweep_handlers import Page, Target

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b|^\s*WITH\b.*\b(INSERT|UPDATE|DELETE)\b",
                   re.IGNORECASE | re.DOTALL)
# The only write any click may cause: auth.check_session moving the session's last_seen_at
# on (at most once a minute, services/auth.py _TOUCH_EVERY). Nothing else is sign-in
# bookkeeping: a refused call writes no audit entry and no counter.
SESSION_TOUCH = re.compile(r"UPDATE user_session SET last_seen_at=(\?|%\(\w+\)s) "
                           r"WHERE user_session\.id = (\?|%\(\w+\)s)")


@dataclass(frozen=True)
class Write:
    statement: str
    table: str
    rows: tuple | None  # the bound values by column, or None for raw SQL (not read)

    def __str__(self) -> str:
        return f"{self.statement} {self.rows!r}"[:400]


class Writes:
    """The app's INSERT / UPDATE / DELETE statements that changed rows while the block runs (any
thread, ORM or raw)."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        flat = " ".join(statement.split())
        if not WRITE.match(statement) or SESSION_TOUCH.fullmatch(flat):
            return
        if cursor.rowcount == 0:  # an UPDATE or DELETE whose WHERE matched nothing changed nothing
            return
        table = re.search(r"(?:INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", flat, re.IGNORECASE)
        compiled = getattr(context, "compiled_parameters", None) if getattr(context, "compiled", None) else None
        self.seen.append(Write(flat, table.group(1) if table else "", tuple(compiled) if compiled else None))

    def __enter__(self):
        event.listen(self.engine, "after_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "after_cursor_execute", self._seen)


# What a table's rows, and a column ending in _id, name: the sweep's record kinds.
TABLE_KINDS = {"household": "household", "member": "member", "household_tag": "tag", "application": "application",
               "objection": "objection", "public_notice": "notice", "meeting": "meeting",
               "meeting_attendee": "attendee", "agenda_item": "item", "action_item": "action",
               "hard_case": "hard_case", "need": "need", "referral": "referral", "notification": "notification",
               "risk_warning": "warning", "monthly_report": "report", "service_station": "station",
               "portal_user": "user"}
COLUMN_KINDS = {"action_item_id": "action", "disclosure_id": "notice", "tag_id": "tag"}


def touches(write: Write, victims: dict[str, set[int]], areas: set[str]) -> bool:
    """Whether a write changes, or hangs a new row on, a victim's record or area: its own id,
    an _id column or an audit entry's entity naming a victim record, or a victim's area code.
    Raw SQL, whose values are not known by column, counts as touching."""
    if write.rows is None:
        return True
    own = TABLE_KINDS.get(write.table)
    for row in write.rows:
        for column, value in row.items():
            if column in ("id", f"{write.table}_id") or re.fullmatch(r"(id|pk)_\d+", column):
                kind = own
            elif column == "entity_id":
                kind = TABLE_KINDS.get(str(row.get("entity")), str(row.get("entity")))
            else:
                kind = COLUMN_KINDS.get(column) or (column[:-3] if column.endswith("_id") else None)
            if kind and value in victims.get(kind, ()):
                return True
            if isinstance(value, str) and value in areas:
                return True
    return False


# ---- the page a handler runs on ------------------------------------------------------------

def substate(root, cls):
    return root.get_substate(cls.get_full_name().split("."))


def go(root, page: Page) -> None:
    """The browser is on `page` (handlers read record ids from the route at call time)."""
    root.router = RouterData.from_router_data({constants.RouteVar.PATH: page.pattern,
                                               constants.RouteVar.ORIGIN: page.path})


def open_page(page: Page, token: str):
    """A new tab signed in with `token`, on `page`, after its on-load entries ran (a live tab:
    the browser has hydrated it)."""
    root = rx.State(_reflex_internal_init=True)
    root.is_hydrated = True
    go(root, page)
    sign(root, token)
    for cls, handler in page.entries:
        settle(handler.fn(substate(root, cls)))
    return root


def sign(root, token: str) -> None:
    substate(root, SessionState).token = token


# ---- running a handler ---------------------------------------------------------------------

def _run(fn, state, args):
    return settle(fn(state, *args))


def _chained(result) -> list[tuple]:
    """(handler, args) of the server events a handler returned to run next (an import's
    background task, a posted notice's PDF); frontend events (redirect, download) are not."""
    out = []
    for spec in result if isinstance(result, list | tuple) else [result]:
        if isinstance(spec, EventHandler) and spec.state_full_name:
            out.append((spec, ()))
        elif isinstance(spec, EventSpec) and getattr(spec.handler, "state_full_name", ""):
            out.append((spec.handler, tuple(getattr(v, "_var_value", None) for _, v in spec.args)))
    return out


def call(root, target: Target, args: tuple, writes: "Writes"):
    """Call the handler as Reflex would, then what it chained (a few levels: an upload's import,
    a posted notice's PDF); returns every result. A chain after a write is the legitimate
    continuation of an allowed change (a report generated for the caller's own township) and
    is not followed."""
    results = [_run(target.fn, substate(root, target.state), args)]
    pending, depth = _chained(results[0]), 0
    while pending and depth < 3 and not writes.seen:
        handler, chained_args = pending.pop(0)
        state = root.get_substate(handler.state_full_name.split("."))
        results.append(_run(handler.fn, state, chained_args))
        pending += _chained(results[-1])
        depth += 1
    return results


def shape(root, steps, engine) -> list:
    """Run the page-shaping handlers (open a form, pick a village ...) as whoever holds the tab,
    each with every argument variant and then again with the first that raised no error (so
    the form stays open on a record it accepted). Returns what they wrote (each is swept as a
    handler of its own)."""
    with Writes(engine) as writes:
        for target, variants in steps:
            state, accepted = substate(root, target.state), None
            for args in variants:
                state.error = ""
                with contextlib.suppress(Exception):
                    call(root, target, args, writes)
                if accepted is None and not state.error:
                    accepted = args
            if accepted is not None:
                with contextlib.suppress(Exception):
                    call(root, target, accepted, writes)
            state.error = ""
    return writes.seen


@contextlib.contextmanager
def guard_checks(dry: bool = False):
    """Record the action each `protected` guard checks ("<resource>.<op>" resolved against the
    state). `dry`: refuse without looking at the session, so the handler body never runs."""
    seen: list[str] = []
    real = base._checked_actor

    def spy(state, action):
        seen.append(action(state) if callable(action) else action)
        return (None, None) if dry else real(state, action)

    base._checked_actor = spy
    try:
        yield seen
    finally:
        base._checked_actor = real


@contextlib.contextmanager
def entry_checks(dry: bool = False):
    """Record the actions a page entry checks through SessionState._enter, and the outcome.
    `dry`: refuse every one without looking at the session (the page is marked denied, as a
    refusal does), so nothing is loaded."""
    seen: list[tuple[str, bool]] = []
    real = SessionState._enter

    def spy(self, action):
        if dry:
            self.page_access = "denied"
            seen.append((action, False))
            return None, None
        actor, redirect = real(self, action)
        seen.append((action, actor is not None))
        return actor, redirect

    SessionState._enter = spy
    try:
        yield seen
    finally:
        SessionState._enter = real


def entry_actions(page: Page, target: Target) -> list[str]:
    """The actions a page entry checks on this page, without loading anything."""
    root = rx.State(_reflex_internal_init=True)
    root.is_hydrated = True
    go(root, page)
    with entry_checks(dry=True) as seen:
        settle(target.fn(substate(root, target.state)))
    return [action for action, _ in seen]


def checked_action(root, target: Target, args: tuple) -> str:
    """The action the handler's guard checks on this page, without running the handler."""
    with guard_checks(dry=True) as seen:
        _run(target.fn, substate(root, target.state), args)
    assert len(seen) == 1, f"{target}: the guard ran {len(seen)} times"
    return seen[0]


# ---- what the browser gets -----------------------------------------------------------------

def redirect_path(results) -> str:
    for result in results:
        if isinstance(result, EventSpec) and "redirect" in getattr(result.handler.fn, "__qualname__", ""):
            return dict((str(n), getattr(v, "_var_value", None)) for n, v in result.args).get("path", "")
    return ""


def _file_text(data: bytes) -> str:
    if data.startswith(b"PK"):
        from openpyxl import load_workbook
        try:
            book = load_workbook(io.BytesIO(data), read_only=True)
        except Exception:  # noqa: BLE001 - not a workbook after all: read the bytes
            return data.decode("utf-8", "ignore")
        return " ".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                        for c in row if c is not None)
    if data.startswith(b"%PDF"):
        try:
            return pdf_text(data)
        except subprocess.CalledProcessError:
            return data.decode("latin-1")
    return data.decode("utf-8", "ignore")


def shown(root, results) -> str:
    """Everything the browser would get: every var of the tab's state, and any file handed over."""
    parts = [json.dumps(root.dict(), ensure_ascii=False, default=str)]
    for result in results:
        for spec in result if isinstance(result, list | tuple) else [result]:
            if not isinstance(spec, EventSpec):
                continue
            for _, var in spec.args:
                value = getattr(var, "_var_value", var)
                if isinstance(value, str) and value.startswith("data:") and "base64," in value:
                    value = _file_text(base64.b64decode(value.split("base64,", 1)[1]))
                parts.append(str(value))
    return "\n".join(parts)


def typed(args: tuple) -> str:
    """What the caller itself sent (form values, uploaded files): echoing it back is no leak."""
    parts = []
    for arg in args:
        for item in arg if isinstance(arg, list) else [arg]:
            file = getattr(item, "file", None)
            parts.append(file.getvalue().decode("utf-8", "ignore") if isinstance(file, io.BytesIO) else repr(item))
    return "\n".join(parts)


def leaked(markers: set[str], text: str, args: tuple = ()) -> list[str]:
    sent = typed(args)
    return sorted(m for m in markers if m in text and m not in sent)
