"""Every public event handler of every page state, called the way a hostile client would
(issue 9 §6): any connected browser can send any event with any arguments, on any page.

For each protected handler (plain, upload and background) and each page entry, found when the
tests are collected - a new handler is swept without anyone editing this file:
- every demo login whose roles lack the action the guard checks, and an account that must
  first change its password, is refused ("您没有执行此操作的权限", or the page marked denied)
  on a tab it opened itself and on a tab an owner left open, and nothing is written;
- the logins that may use it but work elsewhere (沙坪镇's township staff, 凤凰村's village
  clerk for the rest of 新民镇, both partner organisations), with its arguments, the page's
  route and its open forms aimed at 新民镇's records, write nothing and are shown no name,
  ID number, phone or bank account of those people, in the page state or in any file handed
  to the browser. Tabs: the victim's page; the caller's own record's page pointed at the
  victim's afterwards (writes to the caller's own record are allowed there, none may touch
  a victim's); the victim's page an owner left open. OWN_WRITES lists the handlers that write
  in the caller's own area on the victim's page too, with the reason;
- a signed-out tab, a forged or tampered token and a signed-out session are sent to the
  sign-in page, with nothing written.

"Nothing written": no INSERT / UPDATE / DELETE that changed a row (sweep_calls.Writes), but
auth.check_session moving the session's last-seen time on. How handlers are found, routed and
given arguments: sweep_handlers.py; the county and who may reach what: sweep_county.py.

SQLite only: the sweep makes thousands of calls and puts the county back from a file copy
after each legitimate write; what it checks is decided in Python (the guard, the services'
scope checks), and the services' SQL runs on PostgreSQL in the integration tests.
"""

import asyncio
from collections import Counter, defaultdict

import pytest
from argon2 import PasswordHasher

from lowincome_portal import routes
from lowincome_portal.domain.errors import PermissionDenied
from lowincome_portal.domain.permissions import can
from lowincome_portal.pages.password import PasswordState
from lowincome_portal.resources import REGISTRY
from lowincome_portal.services import auth, security
from tests.security.sweep_calls import (
    Writes,
    call,
    checked_action,
    entry_actions,
    entry_checks,
    go,
    leaked,
    open_page,
    redirect_path,
    shape,
    shown,
    sign,
    substate,
    touches,
)
from tests.security.sweep_county import OUTSIDERS, OWNERS, USERNAMES, build_county, county_url
from tests.security.sweep_handlers import Page, aiming, arguments, pages, panels, targets

DENIED = PermissionDenied.default_message
SIGNED_OUT = {auth.MSG_NOT_SIGNED_IN, auth.MSG_INVALID_TOKEN, auth.MSG_ENDED}
TARGETS = targets()
# Handlers an outsider may call with effect on the victim's page: each writes only in the
# caller's own area or organisation, whatever the page and the arguments name (checked: no
# write may touch a victim's record or area). handler -> why.
OWN_WRITES = {
    "ReportsState.generate": "queues the report of the area chosen on the page, which only offers "
                             "the caller's own township (the victim's code is refused by pick_area)",
    "ResourceListState.export": "the export's audit entry; the rows are the caller's area's",
    "MeetingListState.download_actions": "the export's audit entry; the action items are the caller's area's",
    "PartnerState.mark_all_read": "marks the caller's organisation's own notifications read "
                                  "(the statement is bounded by its organisation)",
}
# calls made and handlers called, by sweep (reported when the module's county is taken down)
CALLS: Counter = Counter()
HANDLERS: dict[str, set] = defaultdict(set)


@pytest.fixture(scope="module")
def county(tmp_path_factory, request):
    with pytest.MonkeyPatch.context() as mp:
        folder = tmp_path_factory.mktemp("sweep")
        mp.setenv("DATABASE_URL", county_url(folder))
        # argon2 is slow on purpose (0.4 s a password); the sweep signs in eleven accounts and
        # sends wrong old passwords to the password form dozens of times. Cheap parameters
        # change nothing it checks.
        mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        # The background tasks (imports, report generation) poll their worker thread every
        # 0.4-0.5 s to move the progress bar; the sweep has no one watching the bar.
        real_sleep = asyncio.sleep
        mp.setattr(asyncio, "sleep", lambda seconds, *a, **k: real_sleep(min(seconds, 0.01), *a, **k))
        yield build_county(folder)
    plugins = request.config.pluginmanager
    report, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if report is not None and capture is not None and CALLS:
        with capture.global_and_fixture_disabled():
            report.write_line("\nhandler sweep: " + "; ".join(
                f"{sweep} {CALLS[sweep]} calls of {len(HANDLERS[sweep])} handlers" for sweep in CALLS))


def _left_open(county, target, page, args, aim=None):
    """The tab an owner (the first of OWNERS allowed here) left open on `page`, or None; with
    `aim`, the owner first shaped the page (opened its forms, picked its village ...) there."""
    for owner in OWNERS:
        root = open_page(page, county.tokens[owner])
        if target.entry:
            allowed = substate(root, target.state).page_access == "ok"
        else:
            allowed = can(county.actors[owner], checked_action(root, target, args))
        if allowed:
            if aim is not None:
                _shape(county, root, target, aim)
            return root
    return None


def _shape(county, root, target, aim) -> None:
    if shape(root, [(step, arguments(step, aim)) for step in aiming(target)], county.engine):
        county.restore()


def _run(county, root, target, args, sweep: str):
    """Call with every write recorded; returns (results, writes)."""
    with Writes(county.engine) as writes:
        results = call(root, target, args, writes)
    CALLS[sweep] += 1
    HANDLERS[sweep].add(str(target))
    return results, writes.seen


def _fresh(page):
    """The page without its on-load entries run (the entry is what is being called)."""
    return Page(page.pattern, page.path, (), page.resource)


# ---- lower roles ---------------------------------------------------------------------------

def _allowed(county, username, actions) -> bool:
    return any(can(county.actors[username], action) for action in actions)


def _refuse_entry(county, target, page, username, problems) -> bool:
    """The page entry as `username`; False when a role of the user opens the page."""
    actor = county.actors[username]
    if _allowed(county, username, entry_actions(page, target)):
        return False
    root = open_page(_fresh(page), county.tokens[username])
    with entry_checks() as checked:
        results, writes = _run(county, root, target, (), "lower roles")
    if _allowed(county, username, [action for action, _ in checked]):
        return False
    where = f"{username} on {page.path}"
    state = substate(root, target.state)
    if checked and not (state.page_access == "denied"
                        or (actor.must_change_password and redirect_path(results) == routes.PASSWORD)):
        problems.append(f"{where}: page not marked denied ({state.page_access})")
    problems += [f"{where}: wrote {w}" for w in writes]
    problems += [f"{where}: shows {m}" for m in leaked(county.markers(username), shown(root, results))]
    return True


def _refuse_handler(county, target, page, username, roots, args_list, problems) -> int:
    """The handler as `username` from each tab, with every argument variant; returns the number
    of calls its roles did not allow (each must be refused, writing nothing)."""
    actor, refused = county.actors[username], 0
    for prep, root in roots:
        sign(root, county.tokens[username])
        state = substate(root, target.state)
        for args in args_list:
            if can(actor, checked_action(root, target, args)):
                continue  # allowed by role: the outsiders' test
            refused += 1
            state.error = ""
            results, writes = _run(county, root, target, args, "lower roles")
            where = f"{username} ({prep}) on {page.path} {args!r:.80}"
            if state.error != DENIED or results != [None]:
                problems.append(f"{where}: not refused: {state.error!r}, {results!r:.80}")
            problems += [f"{where}: wrote {w}" for w in writes]
    own = roots[0][1]
    problems += [f"{username} on {page.path}: shows {m}" for m in leaked(county.markers(username), shown(own, []))]
    return refused


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_lower_roles_are_refused_and_nothing_is_written(county, target):
    aim = county.aim("xinmin", "township")
    problems, refused = [], 0
    for page in pages(target.state, aim.ids, county.resource_keys("xinmin", "township"), aim.township):
        if target.entry:
            refused += sum(_refuse_entry(county, target, page, username, problems) for username in USERNAMES)
            continue
        # The guard refuses before the handler reads an argument: one aimed at 新民镇 and an
        # empty one are enough here (the outsiders' test uses every variant).
        variants = arguments(target, aim, empty=True)
        args_list = variants[:1] + variants[1:][-1:]
        action = target.action
        left = _left_open(county, target, page, args_list[0])
        if action is None and left is not None:
            action = checked_action(left, target, args_list[0])  # e.g. "households.edit" on this page
        for username in [u for u in USERNAMES if action is None or not _allowed(county, u, [action])]:
            roots = [("own tab", open_page(page, county.tokens[username]))]
            if left is not None:
                roots.append(("tab left open", left))
            refused += _refuse_handler(county, target, page, username, roots, args_list, problems)
    assert not problems, "\n".join(problems[:30])
    # every handler but the password change has a lower role: at least the account that must
    # first change its password
    assert refused or target.state is PasswordState, f"{target}: no lower role was found to call it"


# ---- other townships and organisations -----------------------------------------------------

def _outsider_roots(county, target, username, page, own_page, args):
    """The tabs an outsider acts from: opened on the victim's page; opened on its own record
    and then pointed at the victim's (handlers that read the route when called); and the tab
    an owner left open on the victim's page."""
    token, aim = county.tokens[username], county.aim(username)
    if target.entry:
        yield "victim's page", open_page(_fresh(page), token)
    else:
        root = open_page(page, token)
        _shape(county, root, target, aim)
        yield "victim's page", root
        if own_page is not None:
            root = open_page(own_page, token)
            _shape(county, root, target, county.aim(username, "own"))
            go(root, page)
            yield "own page, then the victim's", root
    root = _left_open(county, target, page, args, None if target.entry else aim)
    if root is not None:
        sign(root, token)
        yield "tab left open by its owner", root


def _outsider_call(county, target, root, args, username):
    """(results, writes, what it newly shows) of one allowed call; None when its role refuses it."""
    actor, markers = county.actors[username], county.markers(username)
    before = set(leaked(markers, shown(root, [])))
    if target.entry:
        with entry_checks() as checked:
            results, writes = _run(county, root, target, args, "outsiders")
        if not _allowed(county, username, [action for action, _ in checked]):
            return None
    else:
        if not can(actor, checked_action(root, target, args)):
            return None  # refused by role: the lower roles' test
        results, writes = _run(county, root, target, args, "outsiders")
    return results, writes, sorted(set(leaked(markers, shown(root, results), args)) - before)


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_other_townships_and_organisations_change_and_see_nothing(county, target):
    problems = []
    for username in OUTSIDERS:
        if target.action is not None and not _allowed(county, username, [target.action]):
            continue  # refused by role: the lower roles' test
        aim, own = county.aim(username), county.aim(username, "own")
        victims = {k: set(v) for k, v in county.all_records(username).items()}
        areas = county.victim_areas(username)
        own_pages = {(p.pattern, p.resource): p
                     for p in pages(target.state, own.ids, county.resource_keys(username, "own"), own.township)}
        for page in pages(target.state, aim.ids, county.resource_keys(username), aim.township):
            if page.resource and not REGISTRY[page.resource].area_field:
                continue  # a county-wide table (policy parameters, rules ...) holds nobody's data
            if target.entry and not _allowed(county, username, entry_actions(page, target)):
                continue
            args_list = [()] if target.entry else arguments(target, aim)
            # the record an open panel names ("remove:<member id>"): set through open_panel
            attempts = [(None, args) for args in args_list] + [(p, args_list[0]) for p in panels(target, aim)]
            own_page = own_pages.get((page.pattern, page.resource))
            for prep, root in _outsider_roots(county, target, username, page, own_page, args_list[0]):
                for panel, args in attempts:
                    if panel is not None:
                        substate(root, target.state).panel = panel
                    outcome = _outsider_call(county, target, root, args, username)
                    if outcome is None:
                        continue
                    results, writes, shows = outcome
                    where = f"{username} ({prep}) on {page.path} {panel or ''} {args!r:.80}"
                    if writes:
                        county.restore()
                        allowed = prep.startswith("own page") or str(target) in OWN_WRITES
                        problems += [f"{where}: wrote {w}" for w in writes
                                     if not allowed or touches(w, victims, areas)]
                    if shows:
                        problems.append(f"{where}: shows {shows}")
    assert not problems, "\n".join(problems[:30])


# ---- signed out ----------------------------------------------------------------------------

@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_signed_out_and_forged_tokens_are_sent_to_sign_in(county, target):
    aim = county.aim("xinmin", "township")
    real = county.tokens["xinmin"]
    tokens = {"signed out": "", "forged": "x" * len(real), "tampered": real[:-1] + ("A" if real[-1] != "A" else "B"),
              "ended session": county.ended_token}
    problems = []
    for page in pages(target.state, aim.ids, county.resource_keys("xinmin", "township"), aim.township)[:2]:
        args_list = [()] if target.entry else arguments(target, aim, empty=True)
        left = _left_open(county, target, page, args_list[0])
        for name, token in tokens.items():
            for prep, root in (("new tab", open_page(_fresh(page), token)), ("tab left open", left)):
                if root is None:
                    continue
                sign(root, token)
                for args in args_list:
                    with entry_checks() as checked:
                        results, writes = _run(county, root, target, args, "signed out")
                    where = f"{name} ({prep}) on {page.path} {args!r:.60}"
                    problems += [f"{where}: wrote {w}" for w in writes]
                    if target.entry and not checked:
                        continue  # an entry that leaves this URL to another state checks nothing
                    if redirect_path(results) != routes.LOGIN:
                        problems.append(f"{where}: not sent to sign in: {results!r:.120}")
                    if substate(root, target.state).notice not in SIGNED_OUT:
                        problems.append(f"{where}: notice {substate(root, target.state).notice!r}")
    assert not problems, "\n".join(problems[:30])


def test_a_tab_left_open_forgets_its_earlier_user(county):
    """Another user signs in on a tab an owner left open on a 新民镇 page and enters it: the
    owner's people must be gone from the state, whether the page opens or is refused."""
    problems = []
    for target in (t for t in TARGETS if t.entry):
        for username in OUTSIDERS:
            aim = county.aim(username)
            page = pages(target.state, aim.ids, county.resource_keys(username), aim.township)[0]
            root = _left_open(county, target, page, ())
            if root is None:
                continue
            sign(root, county.tokens[username])
            results, _ = _run(county, root, target, (), "tabs left open")
            found = leaked(county.markers(username), shown(root, results))
            if found:
                problems.append(f"{target} as {username} on {page.path}: still shows {found[:3]}")
    assert not problems, "\n".join(problems)


def test_the_sweep_finds_the_handlers():
    """A guard on the discovery itself: the pages' handlers are all there (a broken walk would
    make every test above pass vacuously)."""
    names = {str(t) for t in TARGETS}
    assert len(TARGETS) >= 140, len(TARGETS)
    assert {"HouseholdState.add_member", "ReportsState.run_generation", "ResourceFormState.submit",
            "PartnerState.claim", "ReferralState.on_enter"} <= names
