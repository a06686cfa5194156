"""The intake tracks as tables (domain/intake.py): every row, role, guard and way out.

The tests walk the tables themselves (parametrized over ASSISTANCE_TRACK and
MONITORING_TRACK transitions), so a row added later is covered without editing this file;
a new guard must be given its case in GUARD_CASES (a test says so).
"""

from collections import deque
from dataclasses import replace
from datetime import date, timedelta

import pytest

from lowincome_portal.domain import intake
from lowincome_portal.domain.errors import ValidationError
from lowincome_portal.domain.intake import (
    ASSISTANCE,
    ASSISTANCE_TRACK,
    GUARDS,
    MONITORING,
    MONITORING_TRACK,
    CaseFacts,
    Transition,
    available,
    check_transition,
    roles_acting_on,
)
from lowincome_portal.domain.parameters import CATALOGUE
from lowincome_portal.domain.registry import DIBAO, DIBAO_EDGE, RIGID_HARDSHIP, TEKUN
from lowincome_portal.domain.registry import MONITORING as MONITORING_TAG
from lowincome_portal.domain.roles import (
    ADMIN,
    ALL_ROLES,
    COUNTY_AGRI,
    COUNTY_CIVIL,
    LEADER,
    PARTNER,
    ROLE_LABELS,
    TOWNSHIP_STAFF,
    VILLAGE_STAFF,
)

TODAY = date(2026, 10, 20)
NOTICE_ENDS = date(2026, 10, 15)  # the last day of the notice; TODAY is after it
COMMENT = "经核实，依申请人书面意见办理"

TRACKS = (ASSISTANCE_TRACK, MONITORING_TRACK)
ROWS = [(t.code, row) for t in TRACKS for row in t.transitions]
ROW_IDS = [f"{code}:{row.source}-{row.action}" for code, row in ROWS]
COMMENT_ROWS = [(code, row) for code, row in ROWS if row.comment_required]
GUARDED = [(code, row, guard) for code, row in ROWS for guard in row.guards]


def facts_for(row: Transition, **changes) -> CaseFacts:
    """Facts under which every guard of `row` holds (then `changes` applied)."""
    decision = "approved" if "approved" in row.guards else "refused" if "refused" in row.guards else ""
    facts = CaseFacts(
        today=TODAY, consent=True, household_id=1, accepted_on=date(2026, 9, 1),
        visit_since_accepted=True, economic_status_since_accepted=True,
        notice_posted_on=NOTICE_ENDS - timedelta(days=6), notice_ends_on=NOTICE_ENDS,
        open_objections=0, decision=decision, qualifies=(DIBAO,), monitoring_type="edge")
    return replace(facts, **changes)


def refusal(code: str, state: str, action: str, roles, facts: CaseFacts, comment: str = COMMENT) -> str:
    with pytest.raises(ValidationError) as caught:
        check_transition(code, state, action, frozenset(roles), facts, comment)
    return caught.value.message


# --- the tables are well formed ------------------------------------------------------------


@pytest.mark.parametrize("track", TRACKS, ids=lambda t: t.code)
def test_rows_name_known_states_roles_and_guards(track):
    pairs = [(row.source, row.action) for row in track.transitions]
    assert len(pairs) == len(set(pairs)), "one action from a state must mean one move"
    assert track.start in track.steps
    for row in track.transitions:
        assert row.source in track.steps and row.target in track.steps, row
        assert row.roles and set(row.roles) <= set(ALL_ROLES), row
        assert set(row.guards) <= set(GUARDS), row
        assert row.label.strip(), row
    assert intake.TRACKS[track.code] is track


def test_every_guard_has_a_case_here():
    assert set(GUARD_CASES) == set(GUARDS), "add the new guard's missing/present facts to GUARD_CASES"


# --- roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "row"), ROWS, ids=ROW_IDS)
def test_each_allowed_role_may_take_the_step(code, row):
    for role in row.roles:
        assert check_transition(code, row.source, row.action, frozenset({role}), facts_for(row), COMMENT) is row
    # a user holding an allowed role among others may too
    assert check_transition(code, row.source, row.action, frozenset(ALL_ROLES), facts_for(row), COMMENT) is row


@pytest.mark.parametrize(("code", "row"), ROWS, ids=ROW_IDS)
def test_every_other_role_is_refused_with_the_roles_named(code, row):
    others = [r for r in ALL_ROLES if r not in row.roles]
    assert others  # admin, leader and partner never take a step
    for role in others:
        message = refusal(code, row.source, row.action, {role}, facts_for(row))
        assert message.startswith(f"“{row.label}”须由"), message
        for allowed in row.roles:
            assert ROLE_LABELS[allowed] in message, (role, message)
    assert refusal(code, row.source, row.action, set(others), facts_for(row)).startswith(f"“{row.label}”")
    # no role at all (an account whose roles were all removed)
    assert refusal(code, row.source, row.action, set(), facts_for(row)).startswith(f"“{row.label}”")


def test_role_message_in_full():
    row = intake.find_transition(ASSISTANCE, "submitted", "accept")
    assert refusal(ASSISTANCE, "submitted", "accept", {VILLAGE_STAFF}, facts_for(row)) == \
        "“受理”须由乡镇工作人员或县级民政办理"


# --- guards --------------------------------------------------------------------------------

MSG_NOTICE_NOT_POSTED = "尚未登记公示张贴日期"

# guard -> (facts that break it, its message, facts that satisfy it)
GUARD_CASES = {
    "consent": ({"consent": False}, "申请人尚未授权核查家庭经济状况，不能受理", {"consent": True}),
    "household": ({"household_id": None}, "申请尚未关联家庭档案", {"household_id": 7}),
    "visit": ({"visit_since_accepted": False}, "尚未记录受理（或退回）后的入户调查（走访），请先完成入户调查表",
              {"visit_since_accepted": True}),
    "economic_status": ({"economic_status_since_accepted": False},
                        "尚未录入受理（或退回）后核实的家庭经济状况，请先完成入户调查表",
                        {"economic_status_since_accepted": True}),
    "notice_posted": ({"notice_posted_on": None}, MSG_NOTICE_NOT_POSTED, {"notice_posted_on": date(2026, 10, 9)}),
    # on the notice's last day it is still running; the day after, it is over
    "notice_over": ({"today": NOTICE_ENDS}, "公示期至 2026-10-15 结束，公示期满后方可继续",
                    {"today": NOTICE_ENDS + timedelta(days=1)}),
    "objections_resolved": ({"open_objections": 2}, "还有 2 条异议未处理完毕，请先处理", {"open_objections": 0}),
    "qualifies": ({"qualifies": ()}, "按入户核实的家庭经济状况测算，该户不符合任何救助类别，请选择“不予认定”并写明理由",
                  {"qualifies": (DIBAO_EDGE,)}),
    "approved": ({"decision": "refused"}, "审核结论不是“认定”", {"decision": "approved"}),
    "refused": ({"decision": "approved"}, "审核结论不是“不予认定”", {"decision": "refused"}),
    "monitoring_type": ({"monitoring_type": ""}, "请选择监测对象类型", {"monitoring_type": "unstable"}),
}


@pytest.mark.parametrize(("code", "row", "guard"), GUARDED,
                         ids=[f"{c}:{r.source}-{r.action}:{g}" for c, r, g in GUARDED])
def test_each_guard_of_each_row_fires_alone_and_passes_when_met(code, row, guard):
    broken, message, met = GUARD_CASES[guard]
    role = {row.roles[0]}
    assert refusal(code, row.source, row.action, role, facts_for(row, **broken)) == message
    assert check_transition(code, row.source, row.action, frozenset(role), facts_for(row, **met), COMMENT) is row


@pytest.mark.parametrize("guard", sorted(GUARD_CASES))
def test_guard_functions(guard):
    broken, message, met = GUARD_CASES[guard]
    facts = facts_for(ROWS[0][1])  # each case sets the fact it is about
    assert GUARDS[guard](replace(facts, **broken)) == message
    assert GUARDS[guard](replace(facts, **met)) is None


def test_notice_over_day_by_day():
    over = GUARDS["notice_over"]
    base = CaseFacts(today=TODAY, notice_posted_on=date(2026, 10, 9), notice_ends_on=NOTICE_ENDS)
    assert over(replace(base, today=NOTICE_ENDS - timedelta(days=3))) is not None
    assert over(replace(base, today=NOTICE_ENDS)) == "公示期至 2026-10-15 结束，公示期满后方可继续"
    assert over(replace(base, today=NOTICE_ENDS + timedelta(days=1))) is None
    assert over(replace(base, notice_posted_on=None, notice_ends_on=None)) == MSG_NOTICE_NOT_POSTED


def test_no_notice_posted_is_said_once():
    """notice_posted and notice_over both object to a missing notice: one reason, not two."""
    row = intake.find_transition(ASSISTANCE, "notice", "end_notice")
    facts = facts_for(row, notice_posted_on=None, notice_ends_on=None)
    assert refusal(ASSISTANCE, "notice", "end_notice", {TOWNSHIP_STAFF}, facts) == MSG_NOTICE_NOT_POSTED
    row = intake.find_transition(MONITORING, "appraisal", "end_appraisal")
    facts = facts_for(row, notice_posted_on=None, notice_ends_on=None)
    assert refusal(MONITORING, "appraisal", "end_appraisal", {VILLAGE_STAFF}, facts) == MSG_NOTICE_NOT_POSTED


def test_monitoring_alone_does_not_qualify_for_assistance():
    row = intake.find_transition(ASSISTANCE, "county_review", "confirm")
    message = GUARD_CASES["qualifies"][1]
    for tags in ((), (MONITORING_TAG,)):
        facts = facts_for(row, qualifies=tags)
        assert refusal(ASSISTANCE, "county_review", "confirm", {COUNTY_CIVIL}, facts) == message
    for tags in ((DIBAO,), (MONITORING_TAG, DIBAO_EDGE), (TEKUN,), (RIGID_HARDSHIP,)):
        facts = facts_for(row, qualifies=tags)
        assert check_transition(ASSISTANCE, "county_review", "confirm", frozenset({COUNTY_CIVIL}), facts) is row


def test_every_unmet_guard_is_reported_together():
    row = intake.find_transition(ASSISTANCE, "county_review", "confirm")
    facts = facts_for(row, today=NOTICE_ENDS, open_objections=1, qualifies=())
    message = refusal(ASSISTANCE, "county_review", "confirm", {COUNTY_CIVIL}, facts)
    assert message == "；".join([
        "公示期至 2026-10-15 结束，公示期满后方可继续",
        "还有 1 条异议未处理完毕，请先处理",
        GUARD_CASES["qualifies"][1],
    ])
    assert intake.blockers(row, facts_for(row)) == []


# --- comments ------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "row"), COMMENT_ROWS, ids=[f"{c}:{r.source}-{r.action}" for c, r in COMMENT_ROWS])
def test_comment_required_rows_refuse_an_empty_or_blank_comment(code, row):
    for blank in ("", "   ", "\n\t　"):  # the last includes a full-width space
        message = refusal(code, row.source, row.action, {row.roles[0]}, facts_for(row), blank)
        assert message == f"“{row.label}”须填写意见或理由"


def test_negative_moves_need_a_reason():
    """Undoing or refusing (退回/撤回/不予...) always carries a written reason."""
    for code, row in ROWS:
        if row.negative:
            assert row.comment_required, (code, row)


@pytest.mark.parametrize(("code", "row"), [(c, r) for c, r in ROWS if not r.comment_required],
                         ids=[i for i, (c, r) in zip(ROW_IDS, ROWS, strict=True) if not r.comment_required])
def test_other_rows_need_no_comment(code, row):
    assert check_transition(code, row.source, row.action, frozenset({row.roles[0]}), facts_for(row), "") is row


# --- wrong action --------------------------------------------------------------------------


@pytest.mark.parametrize("track", TRACKS, ids=lambda t: t.code)
def test_an_action_not_allowed_here_names_the_current_step(track):
    actions = {row.action for row in track.transitions}
    for state, step in track.steps.items():
        here = {row.action for row in track.transitions if row.source == state}
        for action in actions - here:
            message = refusal(track.code, state, action, set(ALL_ROLES), facts_for(track.transitions[0]))
            assert message.startswith(f"当前环节为“{step.label}”，不能执行“"), message


def test_unknown_action_and_track():
    assert refusal(ASSISTANCE, "submitted", "no_such_action", set(ALL_ROLES), CaseFacts(today=TODAY)) == "未知的办理操作"
    # an action of the other track is unknown here
    assert refusal(ASSISTANCE, "submitted", "start_check", set(ALL_ROLES), CaseFacts(today=TODAY)) == "未知的办理操作"
    assert refusal("nope", "submitted", "accept", set(ALL_ROLES), CaseFacts(today=TODAY)) == "未知的业务类型"


# --- shape of the process ------------------------------------------------------------------


def _reachable(track, start):
    seen, todo = {start}, deque([start])
    while todo:
        state = todo.popleft()
        for row in track.transitions:
            if row.source == state and row.target not in seen:
                seen.add(row.target)
                todo.append(row.target)
    return seen


@pytest.mark.parametrize("track", TRACKS, ids=lambda t: t.code)
def test_every_state_is_reachable_and_every_open_state_has_a_way_out(track):
    assert _reachable(track, track.start) == set(track.steps)
    finals = {code for code, step in track.steps.items() if step.final}
    assert finals
    for code, step in track.steps.items():
        outs = [row for row in track.transitions if row.source == code]
        if step.final:
            assert outs == [], f"final state {code} has a way out"
        else:
            assert outs, f"{code} has no way out"
            # and from it some end can be reached: no loop without exit
            assert _reachable(track, code) & finals, code


@pytest.mark.parametrize("track", TRACKS, ids=lambda t: t.code)
def test_each_open_step_runs_on_a_catalogued_clock(track):
    for code, step in track.steps.items():
        if step.final:
            assert step.clock is None, code
            continue
        assert step.clock in CATALOGUE, f"{code}: clock {step.clock} is not in domain/parameters.CATALOGUE"
        unit = CATALOGUE[step.clock].unit
        assert unit == ("工作日" if step.days == intake.WORKING else "天"), (code, unit)


def test_notice_and_investigation_states_and_periods_are_known():
    for code, t in intake.TRACKS.items():
        assert intake.NOTICE_STATES[code] in t.steps
        assert intake.INVESTIGATION_STATES[code] in t.steps
        assert intake.NOTICE_PERIOD[code] in CATALOGUE
        assert CATALOGUE[intake.NOTICE_PERIOD[code]].unit == "天"


@pytest.mark.parametrize("track", TRACKS, ids=lambda t: t.code)
def test_withdraw_from_every_open_step_but_the_result_notice(track):
    for code, step in track.steps.items():
        rows = [row for row in track.transitions if row.source == code and row.action == "withdraw"]
        if step.final or (track.code == ASSISTANCE and code == "result_notice"):
            assert rows == [], code
        else:
            assert len(rows) == 1, f"no withdraw from {code}"
            assert rows[0].target == "withdrawn" and track.steps["withdrawn"].final
            assert rows[0].comment_required and rows[0].negative


def test_result_notice_is_the_only_open_step_without_withdraw():
    """After the county's decision the applicant is told the result; there is nothing left to withdraw."""
    assert "result_notice" in ASSISTANCE_TRACK.steps
    assert not ASSISTANCE_TRACK.steps["result_notice"].final


@pytest.mark.parametrize("track", TRACKS, ids=lambda t: t.code)
def test_is_open_and_labels(track):
    for code, step in track.steps.items():
        assert intake.is_open(track.code, code) is (not step.final)
        assert intake.state_label(track.code, code) == step.label
    assert intake.state_label(track.code, "no_such_state") == "no_such_state"
    assert intake.state_label("no_such_track", track.start) == track.start


# --- what each role sees -------------------------------------------------------------------


@pytest.mark.parametrize("track", TRACKS, ids=lambda t: t.code)
def test_available_is_the_rows_a_role_may_take(track):
    for state in track.steps:
        for role in ALL_ROLES:
            expected = [row for row in track.transitions if row.source == state and role in row.roles]
            assert available(track.code, state, frozenset({role})) == expected
        assert available(track.code, state, frozenset()) == []
        everything = [row for row in track.transitions if row.source == state]
        assert available(track.code, state, frozenset(ALL_ROLES)) == everything


def _actions(code, state, *roles):
    return [row.action for row in available(code, state, frozenset(roles))]


def test_available_examples():
    assert _actions(ASSISTANCE, "submitted", TOWNSHIP_STAFF) == ["accept", "not_accept", "withdraw"]
    assert _actions(ASSISTANCE, "investigation", VILLAGE_STAFF) == ["complete_investigation"]
    assert _actions(ASSISTANCE, "county_review", COUNTY_CIVIL) == ["confirm", "refuse", "return", "withdraw"]
    assert _actions(ASSISTANCE, "county_review", TOWNSHIP_STAFF) == ["withdraw"]
    assert _actions(ASSISTANCE, "result_notice", TOWNSHIP_STAFF) == ["notify_approval", "notify_refusal"]
    assert _actions(ASSISTANCE, "submitted", COUNTY_AGRI) == []
    assert _actions(MONITORING, "lead", VILLAGE_STAFF) == ["start_check", "not_include"]
    assert _actions(MONITORING, "county_decision", COUNTY_AGRI) == ["include", "exclude", "return", "withdraw"]
    assert _actions(MONITORING, "county_decision", TOWNSHIP_STAFF) == ["withdraw"]
    assert _actions(MONITORING, "lead", COUNTY_CIVIL) == []
    for track in TRACKS:
        for state in track.steps:
            assert _actions(track.code, state, ADMIN, LEADER, PARTNER) == []


TOWNSHIP = {TOWNSHIP_STAFF, COUNTY_CIVIL}
FIELD = {VILLAGE_STAFF, TOWNSHIP_STAFF, COUNTY_AGRI}
ACTING = {
    ASSISTANCE: {
        "submitted": TOWNSHIP, "data_check": TOWNSHIP, "investigation": TOWNSHIP | {VILLAGE_STAFF},
        "preliminary_review": TOWNSHIP, "notice": TOWNSHIP, "county_review": {COUNTY_CIVIL},
        "result_notice": TOWNSHIP,
    },
    MONITORING: {
        "lead": FIELD, "household_check": FIELD, "appraisal": FIELD,
        "township_review": {TOWNSHIP_STAFF, COUNTY_AGRI}, "county_decision": {COUNTY_AGRI},
    },
}


@pytest.mark.parametrize("track", TRACKS, ids=lambda t: t.code)
def test_roles_acting_on(track):
    for state, step in track.steps.items():
        from_table = {r for row in track.transitions if row.source == state and row.action != "withdraw"
                      for r in row.roles}
        assert roles_acting_on(track.code, state) == from_table
        assert roles_acting_on(track.code, state) == ACTING[track.code].get(state, set())
        if not step.final:
            assert roles_acting_on(track.code, state), f"nobody works on {state}"
