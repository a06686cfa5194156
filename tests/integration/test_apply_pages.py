"""The online application, the public status lookup and the station form, driven through
their state classes as the browser would (no browser), on SQLite and PostgreSQL: a valid
form gives a tracking number and one application; a double click, a resend and a hostile
client change nothing more; every wrong field gets its own message and nothing is saved;
the station form refuses the signed-out and partners and accepts for township staff."""

from datetime import date

import reflex as rx
from reflex import constants
from reflex.istate.data import RouterData
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import Application, AuditEntry
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD
from lowincome_portal.pages.application_new import NewApplicationState, new_application_page
from lowincome_portal.pages.apply import ApplyState, ApplyStatusState, apply_page, apply_status_page
from lowincome_portal.pages.apply.form import client_key_of
from lowincome_portal.services import auth, intake_submit
from lowincome_portal.state.base import SessionState
from tests.idnumbers import make_id, with_bad_checksum
from tests.page_states import settle

XINMIN, FENGHUANG, CHANGLING = "500231100000", "500231100200", "500231100201"
SHAPING, HONGYAN = "500231101000", "500231101200"
APPLICANT = make_id(birth=date(1956, 3, 1), seq=11)
WIFE = make_id(birth=date(1958, 5, 1), seq=22)
FORM = {"applicant_name": "周大山", "applicant_id_number": APPLICANT, "applicant_phone": "13800001111",
        "address": "凤凰村三组 12 号", "difficulty": "老两口无收入，老伴患病", "consent": "on"}


def public_state(cls, ip="203.0.113.8", url="/apply"):
    """A visitor's state: no token at all, the client address as Reflex reports it."""
    root = rx.State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data({constants.RouteVar.CLIENT_IP: ip,
                                               constants.RouteVar.ORIGIN: url, constants.RouteVar.PATH: url})
    return root.get_substate(cls.get_full_name().split("."))


def staff_state(engine, username=None):
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(NewApplicationState.get_full_name().split("."))
    if username:
        with unit_of_work(engine) as s:
            state.token = auth.login(s, username, DEMO_PASSWORD).token
    return state


def fill(state, cls, village=FENGHUANG, township=XINMIN, wife=WIFE, relation="spouse"):
    """Pick the village and add one member row, as the clicks and keystrokes would."""
    settle(cls.pick_township.fn(state, township))
    settle(cls.pick_village.fn(state, village))
    settle(cls.add_member_row.fn(state))
    settle(cls.set_member_field.fn(state, 0, "name", "吴小花"))
    settle(cls.set_member_field.fn(state, 0, "id_number", wife))
    settle(cls.set_member_field.fn(state, 0, "relation", relation))


def submit(state, form=FORM):
    """The submit handler yields once (the busy button) before it saves: run it to the end."""
    for _ in settle(ApplyState.submit_application.fn(state, dict(form))):
        pass


def applications(engine) -> list[Application]:
    with Session(engine) as s:
        return list(s.exec(select(Application).order_by(Application.id)).all())


def audit_count(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(AuditEntry)
                      .where(AuditEntry.action.not_in(["login", "login_failed"]))).one()


def opened(ip="203.0.113.8"):
    state = public_state(ApplyState, ip=ip)
    settle(ApplyState.open_form.fn(state))
    return state


# --- the online application -------------------------------------------------------------

def test_online_application_gives_a_tracking_number_and_one_application(engine):
    state = opened()
    assert any(t["label"] == "新民镇" for t in state.townships) and state.villages == []
    fill(state, ApplyState)
    assert [v["label"] for v in state.villages] == ["团结社区", "凤凰村", "长岭村"]
    key = state._submission_key
    submit(state)
    assert state.error == "" and state.field_errors == {}, (state.error, state.field_errors)
    assert state.tracking_no.startswith("SQ") and not state.submitting
    [row] = applications(engine)
    assert row.tracking_no == state.tracking_no and row.channel == "online" and row.state == "submitted"
    assert row.area_code == FENGHUANG and row.consent and WIFE in row.members_json
    assert row.submission_key == key and state._submission_key != key  # renewed after success
    # the rate-limit key is a salted hash, never the address itself
    assert row.client_key == client_key_of("203.0.113.8") and "203.0.113" not in row.client_key
    # the members' ID numbers leave the browser's state once the application is in
    assert state.members == [] and state.area_code == ""
    settle(ApplyState.new_form.fn(state))
    assert state.tracking_no == "" and state.villages == []


def test_double_click_and_resend_give_one_application(engine):
    state = opened()
    fill(state, ApplyState)
    key = state._submission_key
    submit(state)
    number = state.tracking_no
    submit(state)  # the second click, queued behind the first: ignored
    assert state.tracking_no == number and len(applications(engine)) == 1
    # the same form sent again from another connection (same key): the same application
    again = opened()
    fill(again, ApplyState)
    again._submission_key = key
    submit(again)
    assert again.tracking_no == number and len(applications(engine)) == 1
    # a busy flag left set: nothing is sent twice
    busy = opened()
    fill(busy, ApplyState)
    busy.submitting = True
    submit(busy)
    assert busy.tracking_no == "" and len(applications(engine)) == 1


def test_every_wrong_field_gets_its_own_message_and_nothing_is_saved(engine):
    state = opened()
    fill(state, ApplyState, wife=with_bad_checksum(WIFE), relation="head")
    settle(ApplyState.add_member_row.fn(state))  # a second row left empty
    bad = {**FORM, "applicant_name": "", "applicant_id_number": with_bad_checksum(APPLICANT),
           "applicant_phone": "12", "difficulty": "", "consent": None}
    before = audit_count(engine)
    submit(state, bad)
    errors = state.field_errors
    for key in ("applicant_name", "applicant_id_number", "applicant_phone", "difficulty", "consent",
                "members.0.id_number", "members.0.relation", "members.1.name", "members.1.id_number"):
        assert errors.get(key), f"no message for {key}: {errors}"
    assert "address" not in errors and "area_code" not in errors
    assert state.error and str(len(errors)) in state.error and state.tracking_no == ""
    assert applications(engine) == [] and audit_count(engine) == before
    # no village picked: the message sits beside the picker
    nowhere = opened()
    submit(nowhere)
    assert nowhere.field_errors.get("area_code") and applications(engine) == []
    # removing a row drops the member messages (the rows below moved up)
    settle(ApplyState.remove_member_row.fn(state, 1))
    assert len(state.members) == 1 and not any(k.startswith("members") for k in state.field_errors)
    assert state.field_errors.get("consent")
    # corrected, the same form goes in
    settle(ApplyState.set_member_field.fn(state, 0, "id_number", WIFE))
    settle(ApplyState.set_member_field.fn(state, 0, "relation", "配偶"))
    submit(state)
    assert state.field_errors == {} and state.tracking_no and len(applications(engine)) == 1


def test_hand_made_events_cannot_stretch_the_form(engine):
    state = opened()
    settle(ApplyState.pick_township.fn(state, "999999999999"))  # not a township of the list
    assert state.township == "" and state.villages == []
    fill(state, ApplyState)
    settle(ApplyState.pick_village.fn(state, HONGYAN))  # a village of another township
    assert state.area_code == FENGHUANG
    settle(ApplyState.set_member_field.fn(state, 0, "name", "x" * 500))
    settle(ApplyState.set_member_field.fn(state, 5, "name", "nobody"))
    settle(ApplyState.remove_member_row.fn(state, "x"))
    settle(ApplyState.set_member_field.fn(state, 0, "health", "患病"))
    assert len(state.members[0]["name"]) == 50 and len(state.members) == 1 and "health" not in state.members[0]
    for _ in range(30):
        settle(ApplyState.add_member_row.fn(state))
    assert len(state.members) == 20


def test_a_client_is_limited_per_hour(engine):
    for n in range(5):
        state = opened(ip="198.51.100.7")
        fill(state, ApplyState, wife=make_id(birth=date(1960, 1, 1), seq=30 + n))
        submit(state)
        assert state.tracking_no, state.error
    blocked = opened(ip="198.51.100.7")
    fill(blocked, ApplyState)
    submit(blocked)
    assert blocked.error == intake_submit.MSG_TOO_OFTEN and blocked.tracking_no == ""
    other = opened(ip="198.51.100.99")
    fill(other, ApplyState)
    submit(other)
    assert other.tracking_no and len(applications(engine)) == 6


# --- the status lookup ------------------------------------------------------------------

def test_status_lookup_shows_the_step_and_tells_nobody_else(engine, actor_of):
    state = opened()
    fill(state, ApplyState)
    submit(state)
    number = state.tracking_no
    status = public_state(ApplyStatusState, url=f"/apply/status?no={number}")
    settle(ApplyStatusState.open_status.fn(status))
    assert status.tracking_no == number  # the link on the success page fills it in
    settle(ApplyStatusState.look_up.fn(status, {"id_number": APPLICANT.lower()}))
    assert status.error == "" and status.status["state"] == "待受理" and status.status["open"] == "1"
    assert [s["step"] for s in status.steps] == ["待受理"]
    # after the township accepts it, the applicant sees the new step
    xinmin = actor_of("xinmin")
    with unit_of_work(engine) as s:
        from lowincome_portal.services import intake
        intake.take_step(s, actor=xinmin, application_id=applications(engine)[0].id, action="accept",
                         today=applications(engine)[0].state_entered_on)
    settle(ApplyStatusState.look_up.fn(status, {"tracking_no": number, "id_number": APPLICANT}))
    assert status.status["state"] == "信息比对" and [s["step"] for s in status.steps] == ["待受理", "信息比对"]
    # a wrong ID number and a wrong tracking number read the same, and show nothing
    for tracking_no, id_number in ((number, WIFE), ("SQ20000101-000000", APPLICANT), (number, "")):
        settle(ApplyStatusState.set_tracking_no.fn(status, tracking_no))
        settle(ApplyStatusState.look_up.fn(status, {"id_number": id_number}))
        assert status.error == intake_submit.MSG_NOT_FOUND and status.status == {} and status.steps == []


# --- the station form -------------------------------------------------------------------

STATION_FORM = {**FORM, "track": "assistance", "staff_relative": "on", "staff_relative_note": "村主任之兄",
                "green_channel": "on"}


def test_station_form_refuses_the_signed_out_and_partners(engine):
    before = audit_count(engine)
    signed_out = staff_state(engine)
    signed_out.area_code = FENGHUANG
    assert settle(NewApplicationState.create_application.fn(signed_out, STATION_FORM)) is not None  # to sign-in
    assert settle(NewApplicationState.on_enter.fn(signed_out)) is not None and signed_out.townships == []
    partner = staff_state(engine, "cishan")
    settle(NewApplicationState.on_enter.fn(partner))
    assert partner.page_access == "denied" and partner.townships == []
    partner.area_code = FENGHUANG
    assert settle(NewApplicationState.create_application.fn(partner, STATION_FORM)) is None
    assert partner.error == "您没有执行此操作的权限"
    settle(NewApplicationState.pick_township.fn(partner, XINMIN))
    assert partner.villages == []
    assert applications(engine) == [] and audit_count(engine) == before


def test_township_staff_accept_at_the_station(engine):
    state = staff_state(engine, "xinmin")
    settle(NewApplicationState.on_enter.fn(state))
    assert state.page_access == "ok"
    assert [t["value"] for t in state.townships] == [XINMIN] and state.township == XINMIN
    assert {v["value"] for v in state.villages} == {"500231100001", FENGHUANG, CHANGLING}
    fill(state, NewApplicationState)
    result = settle(NewApplicationState.create_application.fn(state, STATION_FORM))
    assert state.error == "", state.error
    [row] = applications(engine)
    assert row.channel == "station" and row.state == "data_check" and row.accepted_on and row.household_id
    assert row.staff_relative and row.staff_relative_note == "村主任之兄" and row.green_channel
    assert isinstance(result, rx.event.EventSpec) and f"/applications/{row.id}" in str(result)
    assert "已受理" in state._flash and state.members == []


def test_station_form_keeps_to_the_clerks_area(engine):
    state = staff_state(engine, "xinmin")
    settle(NewApplicationState.on_enter.fn(state))
    settle(NewApplicationState.pick_township.fn(state, SHAPING))  # not offered: ignored
    assert state.township == XINMIN
    state.area_code = HONGYAN  # forced by a hostile client
    settle(NewApplicationState.create_application.fn(state, STATION_FORM))
    assert state.error == "您没有执行此操作的权限" and applications(engine) == []
    # wrong fields: a message beside each, nothing saved
    state.area_code = FENGHUANG
    settle(NewApplicationState.create_application.fn(state, {**STATION_FORM, "applicant_phone": "", "consent": ""}))
    assert set(state.field_errors) == {"applicant_phone", "consent"} and applications(engine) == []


def test_village_staff_find_their_village_chosen_and_enter_a_monitoring_lead(engine):
    state = staff_state(engine, "fenghuang")
    settle(NewApplicationState.on_enter.fn(state))
    assert state.township == XINMIN and [v["value"] for v in state.villages] == [FENGHUANG]
    assert state.area_code == FENGHUANG
    result = settle(NewApplicationState.create_application.fn(
        state, {**FORM, "track": "monitoring", "monitoring_type": "sudden"}))
    assert state.error == "" and result is not None
    [row] = applications(engine)
    assert row.track == "monitoring" and row.channel == "lead" and row.monitoring_type == "sudden"
    assert row.tracking_no.startswith("JC") and not row.staff_relative and not row.green_channel


# --- what the pages are made of ---------------------------------------------------------

def test_public_pages_are_outside_the_signed_in_tree_with_a_fixed_set_of_handlers():
    """The public states are plain rx.State subclasses, so test_handlers_refuse (which walks
    SessionState) does not see them: their handlers are pinned here instead. A new one must
    be added on purpose, and must be safe for an anonymous caller."""
    assert not issubclass(ApplyState, SessionState) and not issubclass(ApplyStatusState, SessionState)
    assert set(ApplyState.event_handlers) == {
        "open_form", "pick_township", "pick_village", "add_member_row", "remove_member_row",
        "set_member_field", "submit_application", "new_form", "setvar"}
    assert set(ApplyStatusState.event_handlers) == {"open_status", "set_tracking_no", "look_up", "setvar"}
    # the station form: the shared form-shaping handlers, the rest guarded
    public = {"add_member_row", "remove_member_row", "set_member_field", "pick_village", "setvar", "on_enter"}
    for name, handler in NewApplicationState.event_handlers.items():
        assert name in public or getattr(handler.fn, "protected_action", None) == "application.create", name


def test_pages_build():
    for page in (apply_page, apply_status_page, new_application_page):
        assert page() is not None
