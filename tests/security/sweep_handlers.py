"""What the sweep calls, found when the tests are collected: every event handler of every page
state that goes through `protected` / `protected_background`, and every page entry
(`on_enter`); the pages (routes) each state is entered by; and arguments made up from each
handler's signature, aimed at the records the caller must not reach.

Nothing here names a handler: a new one is found, routed and given arguments the same way.
"""

import inspect
import io
import re
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import reflex as rx

import lowincome_portal.lowincome_portal as portal
from lowincome_portal.domain import application_columns, import_columns
from lowincome_portal.resources import REGISTRY
from lowincome_portal.services.households import today_in_china
from lowincome_portal.state.base import SessionState
from tests.idnumbers import make_id

ENTRY = "on_enter"
# The sign-in page's entry is open to everyone (tests/integration/test_handlers_refuse.py
# checks that every other entry checks an action).
OPEN_ENTRIES = {"LoginState"}
NEW_RECORD = "new"
MAX_VARIANTS = 6


def app_states() -> list[type]:
    seen, todo = [], [SessionState]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(sorted(cls.get_substates(), key=lambda c: c.__name__))
    return seen


@dataclass(frozen=True)
class Target:
    """One handler of one page state."""

    state: type
    name: str

    def __str__(self) -> str:
        return f"{self.state.__name__}.{self.name}"

    @property
    def fn(self):
        return self.state.event_handlers[self.name].fn

    @property
    def entry(self) -> bool:
        return self.name == ENTRY

    @property
    def action(self) -> str | None:
        """The action the guard checks when it is fixed; None for entries and for actions the
        guard resolves against the page ("<resource>.<op>" of the generic pages)."""
        action = getattr(self.fn, "protected_action", None)
        return None if not action or action.startswith("<") else action

    def parameters(self) -> list[inspect.Parameter]:
        return list(inspect.signature(self.fn).parameters.values())[1:]


def targets() -> list[Target]:
    found = []
    for cls in app_states():
        for name, handler in cls.event_handlers.items():
            if getattr(handler.fn, "protected_action", None) or (name == ENTRY and cls.__name__ not in OPEN_ENTRIES):
                found.append(Target(cls, name))
    return found


# ---- pages ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    pattern: str  # the route id, e.g. /households/[household_id]
    path: str     # the browser's path, e.g. /households/7
    entries: tuple  # (state class, on_enter handler) run on load, in order
    resource: str = ""


def _entries_by_route() -> dict[str, tuple]:
    owner = {cls.event_handlers[ENTRY].fn: cls for cls in app_states() if ENTRY in cls.event_handlers}
    routes = {}
    for route, handlers in portal.app._load_events.items():
        pattern = "/" if route == "index" else "/" + route
        routes[pattern] = tuple((owner[h.fn], h) for h in handlers if h.fn in owner)
    return routes


ROUTES = _entries_by_route()


def patterns_of(cls: type) -> list[str]:
    """The routes whose page holds `cls` (a tab's substate is on its parent's pages)."""
    for c in cls.__mro__:
        found = [p for p, entries in ROUTES.items() if any(state is c for state, _ in entries)]
        if found:
            return found
    parent = cls.get_parent_state()
    return patterns_of(parent) if parent is not None and parent is not SessionState else []


def _kind(name: str) -> str:
    return name.removesuffix("_id")


def pages(cls: type, ids: dict[str, list[int]], keys: dict[str, str], township: str) -> list[Page]:
    """The pages of `cls` opened on the given records: ids by kind for [x_id] segments, a
    record key per resource for /r/<resource>/<key>, and ?area=<township> for pages that
    read the area from the query."""
    out = []
    for pattern in patterns_of(cls):
        segments = pattern.strip("/").split("/")
        names = [s[1:-1] for s in segments if s.startswith("[")]
        fillings = []
        if "resource" in names:
            for resource in REGISTRY:
                records = [keys.get(resource, "0")]
                if "record" in names and not pattern.endswith("/edit"):
                    records.append(NEW_RECORD)
                fillings += [({"resource": resource, "record": r}, resource) for r in records]
        else:
            choices = [ids.get(_kind(n)) or [0] for n in names]
            for i in range(max((len(c) for c in choices), default=1) if names else 1):
                fillings.append(({n: c[min(i, len(c) - 1)] for n, c in zip(names, choices, strict=True)}, ""))
                if i >= 2:
                    break  # three of each kind: records in different states
        for values, resource in fillings:
            path = "/" + "/".join(str(values[s[1:-1]]) if s.startswith("[") else s for s in segments)
            out.append(Page(pattern, path.replace("//", "/") + f"?area={township}", ROUTES[pattern], resource))
    return out or [Page("/", f"/?area={township}", ())]


# ---- arguments -----------------------------------------------------------------------------

def _form_keys() -> list[str]:
    """Every input name a page handler reads from a submitted form, read from the page code:
    form_data.get("x"), form_text(form_data, "x"), form_data["x"], and the names a line that
    reads form_data loops over (a literal tuple or a module constant)."""
    keys: dict[str, None] = {}
    modules = [m for name, m in sys.modules.items()
               if name.startswith(("lowincome_portal.pages", "lowincome_portal.components"))
               and getattr(m, "__file__", None)]
    for module in modules:
        source = Path(module.__file__).read_text(encoding="utf-8")
        for line in source.splitlines():
            if "form_data" not in line:
                continue
            keys.update(dict.fromkeys(re.findall(r'"([a-z][a-z0-9_]*)"', line)))
            for constant in re.findall(r"for k in ([A-Z][A-Z_]+)", line):
                keys.update(dict.fromkeys(getattr(module, constant, ())))
    return list(keys)


FORM_KEYS = _form_keys()
WRONG_PASSWORD = "不是原密码Abc123"


@dataclass(frozen=True)
class Aim:
    """What the made-up arguments point at: ids by kind, an area, a person."""

    ids: dict
    township: str
    village: str
    township_name: str
    village_name: str
    head_name: str
    head_id_number: str


def _ids(name: str, aim: Aim) -> list[int]:
    """Ids of the kind a parameter's name says ("member_id" -> members); for a kind the sweep
    does not know, one id of every kind."""
    ids = aim.ids.get(_kind(name))
    if ids is None:
        ids = [v[0] for v in aim.ids.values() if v]
    return ids or [0]


def _form_value(key: str, aim: Aim, pick: int):
    today = today_in_china()
    if key.endswith("_id"):
        ids = _ids(key, aim)
        return str(ids[pick % len(ids)])
    if key in ("area_code", "township", "village"):
        return aim.village if pick == 0 else aim.township
    if key.endswith(("_on", "_date", "_from", "_to")) or key in ("as_of", "deadline"):
        return today.isoformat()
    if key == "month":  # this month, or the next (this month's meeting exists already)
        return f"{today:%Y-%m}" if pick == 0 else f"{today.replace(day=28) + timedelta(days=5):%Y-%m}"
    if "account" in key:
        return "6228480000001111222"
    if "amount" in key or "income" in key:
        return "100"
    if "id_number" in key:
        return make_id(birth=today.replace(year=today.year - 40), seq=97)
    if key in ("search", "q"):
        return aim.head_name[:1]  # the surname: finds the aimed-at person if the search leaks
    if key in ("old", "new", "confirm", "password"):
        return WRONG_PASSWORD
    if "phone" in key or key == "contact":
        return "13900000000"
    return FIXED.get(key, "测试")


FIXED = {"consent": "on", "green_channel": "on", "staff_relative": "on", "overdue": "on", "tag": "dibao",
         "track": "assistance", "kind": "medical", "assistance_kind": "medical", "urgency": "normal",
         "relation": "子女", "name": "测试人", "username": "xinmin", "source": "visit", "subtype": "sudden",
         "decision": "assign", "mode": "assigned"}


def _literal(var):
    value = getattr(var, "_var_value", None)
    return value if isinstance(value, str | int | float | bool) else None


def _walk(component):
    yield component
    for child in getattr(component, "children", None) or []:
        yield from _walk(child)


def _drawn_forms() -> dict:
    """handler fn -> the forms the pages draw for it: [{input name: (widget, type, default,
    choices)}], read from the page components (a select's options, a hidden input's value)."""
    found: dict = {}
    for page in portal.app._unevaluated_pages.values():
        for node in _walk(page.component()):
            chain = (getattr(node, "event_triggers", None) or {}).get("on_submit")
            for spec in getattr(chain, "events", None) or []:
                fn = getattr(getattr(spec, "handler", None), "fn", None)
                if fn is None:
                    continue
                fields = {}
                for field in _walk(node):
                    name = _literal(getattr(field, "name", None)) if field is not node else None
                    if not isinstance(name, str) or not name:
                        continue
                    choices = [v for x in _walk(field) if x is not field
                               for v in [_literal(getattr(x, "value", None))] if isinstance(v, str) and v]
                    default = _literal(getattr(field, "default_value", None))
                    if default is None and type(field).__name__ == "Input":
                        default = _literal(getattr(field, "value", None))
                    fields[name] = (type(field).__name__, _literal(getattr(field, "type", None)), default, choices)
                found.setdefault(fn, []).append(fields)
    return found


DRAWN_FORMS = _drawn_forms()
AIMED = ("area_code", "township", "village")


def _drawn_value(name: str, field: tuple, aim: Aim, pick: int):
    widget, kind, default, choices = field
    if name.endswith("_id") or name in AIMED:
        return _form_value(name, aim, pick)
    if widget == "Checkbox":
        return "on"
    if name in FIXED and (not choices or FIXED[name] in choices):
        return FIXED[name]
    if "birth" in name:
        return ""  # read from the ID number
    if default is not None:
        return default
    if choices:
        return choices[min(pick, len(choices) - 1)]
    if kind == "date":
        return today_in_china().isoformat()
    if kind == "month":
        return f"{today_in_china():%Y-%m}"
    if kind == "number":
        return "100"
    return _form_value(name, aim, pick)


def forms(target: Target, aim: Aim) -> list[dict]:
    """The forms the pages draw for the handler, filled (ids and areas aimed at the records,
    the first or second option of each select), then two forms with every input any page
    reads (a hostile browser sends what it likes)."""
    drawn = [{name: _drawn_value(name, field, aim, pick) for name, field in fields.items()}
             for fields in DRAWN_FORMS.get(target.fn, []) + DRAWN_FORMS.get(_original(target.fn), [])
             for pick in (0, 1)]
    return drawn + [{key: _form_value(key, aim, pick) for key in FORM_KEYS} for pick in (0, 1)]


def _original(fn):
    """The page's own function inside the wrappers a page's EventHandler points at (the thread
    runner of state/base.py, then `protected`)."""
    while fn.__closure__ and "fn" in inspect.getclosurevars(fn).nonlocals:
        fn = inspect.getclosurevars(fn).nonlocals["fn"]
    return fn


def panels(target: Target, aim: Aim) -> list[str]:
    """Values for the page's `panel` that the handler reads a record id from ("remove:<id>",
    "end_tag:<id>", "resolve:<id>"): any browser sets them through the public open_panel."""
    source = inspect.getsource(_original(target.fn))
    values = []
    # `member_id = self._panel_record("remove")`, `objection = self.panel.removeprefix("resolve:")`:
    # the variable names the record kind
    for variable, prefix in re.findall(r'(\w+)\s*=\s*self\.(?:_panel_record\("|panel\.removeprefix\(")(\w+)', source):
        values += [f"{prefix}:{i}" for i in _ids(variable.removesuffix("_id"), aim)]
    return values


def aiming(target: Target) -> list[Target]:
    """The handlers that shape the page before an action - open a form, pick a village, a
    kind or a mode - which a browser (or the tab's earlier user) may have called first."""
    out = []
    for cls in [c for c in target.state.__mro__ if isinstance(c, type) and hasattr(c, "event_handlers")]:
        for name in getattr(cls, "event_handlers", {}):
            if name != target.name and name.startswith(("open_", "pick_", "toggle_")) and \
                    name in target.state.event_handlers:
                out.append(Target(target.state, name))
    return list(dict.fromkeys(out))


def _csv(columns, values: dict) -> bytes:
    header = ",".join(c.header for c in columns)
    row = ",".join(str(values.get(c.key, "")) for c in columns)
    return f"{header}\r\n{row}\r\n".encode("utf-8-sig")


def upload_files(aim: Aim) -> list[list]:
    """Import files naming the aimed-at place and person: a registry file registering a new
    household there and one adding a member to the aimed-at household, and a channel export
    applying there. Fresh UploadFile objects on every call (a read consumes them)."""
    today = today_in_china()
    newcomer = make_id(birth=today.replace(year=today.year - 35), seq=95)
    common = {"township": aim.township_name, "village": aim.village_name, "address": f"{aim.village_name}一组",
              "phone": "13900000000", "name": "测试人", "id_number": newcomer, "consent": "是", "channel": "渝快办",
              "external_ref": "SWEEP-1", "applied_on": (today - timedelta(days=1)).isoformat(),
              "difficulty": "无收入"}
    files = {
        "登记.csv": _csv(import_columns.COLUMNS, common | {"head_id_number": newcomer, "relation": "户主"}),
        "加人.csv": _csv(import_columns.COLUMNS, common | {"head_id_number": aim.head_id_number, "relation": "子女"}),
        "申请.csv": _csv(application_columns.COLUMNS, common | {"relation": "申请人"}),
    }
    return [[rx.UploadFile(file=io.BytesIO(data), path=Path(name), size=len(data))] for name, data in files.items()]


def arguments(target: Target, aim: Aim, empty: bool = False) -> list[tuple]:
    """Argument tuples for one handler: each parameter gets a few values by its name and type
    (record ids of the kind its name says, areas, field names, whole forms, import files),
    zipped into at most MAX_VARIANTS calls. `empty` adds an empty form and an empty upload."""
    columns = []
    for p in target.parameters():
        kind = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", str(p.annotation))
        text = str(p.annotation)
        if "UploadFile" in text:
            values = upload_files(aim) + ([[]] if empty else [])
        elif kind == "dict":
            values = forms(target, aim) + ([{}] if empty else [])
        elif kind == "list":
            values = [[]]
        elif kind == "bool":
            values = [True, False]
        elif p.name.endswith("_id") or kind == "int":
            values = [v if kind == "int" else str(v) for v in _ids(p.name, aim)]
        elif p.name == "code":
            values = [aim.township, aim.village]
        elif p.name in ("field", "field_name"):
            values = ["id_number", "phone", "bank_account"]
        elif p.name == "kind":
            values = ["pdf", "xlsx"]
        else:
            values = [aim.village, str((aim.ids.get("household") or [0])[0]), f"{today_in_china():%Y-%m}", "up"]
        columns.append(values)
    if not columns:
        return [()]
    count = min(MAX_VARIANTS, max(len(c) for c in columns))
    return [tuple(c[i % len(c)] for c in columns) for i in range(count)]
