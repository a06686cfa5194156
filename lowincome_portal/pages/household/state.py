"""The household page's state: one household's overview, and the thin handlers that record
members, economic status, tags and visits, reveal masked numbers and run the means test.

Every handler checks its action on the server; the service checks the household lies in
the user's area. The state holds only this household's plain dicts.
"""

import reflex as rx

from ...db.uow import unit_of_work
from ...domain.errors import NotFound, PortalError
from ...domain.registry_input import a_date
from ...services import household_records, households, household_view, means_test, meetings
from ...state.base import SessionState, protected
from .forms import checked_flags, risk_points_of


def _texts(d: dict | None) -> dict[str, str]:
    """A flat dict of display strings (what a page var can hold)."""
    return {k: ("" if v is None else str(v)) for k, v in (d or {}).items()
            if not isinstance(v, (dict, list))}


def _last_visit_text(last: dict | None) -> str:
    return f"{last['date']}，{last['who']}" if last else "尚无走访记录"


class HouseholdState(SessionState):
    _household_id: int = 0
    household: dict[str, str] = {}
    members: list[dict[str, str]] = []
    economic: dict[str, str] = {}
    economic_history: list[dict[str, str]] = []
    current_tags: list[dict[str, str]] = []
    past_tags: list[dict[str, str]] = []
    visits: list[dict[str, str]] = []
    last_visit: str = ""
    timeline: list[dict[str, str]] = []
    can_edit: bool = False
    can_reveal: bool = False
    can_tag: bool = False
    can_visit: bool = False
    can_raise_hard_case: bool = False
    # which inline form is open: "" | member | remove:<id> | economic | tag | end_tag:<id> | visit
    panel: str = ""
    visit_warning: str = ""
    editing_member: dict[str, str] = {}
    assessment: dict[str, str] = {}
    assessment_reasons: list[str] = []
    assessment_policy: list[dict[str, str]] = []
    today: str = ""

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter("registry.view")
        self.panel, self.visit_warning, self.assessment = "", "", {}
        self.assessment_reasons, self.assessment_policy = [], []
        if actor is None:
            return redirect
        self._household_id = self._route_id("household_id")
        try:
            self._reload(actor)
        except PortalError as exc:
            self.household = {}
            self.error = exc.message
        return None

    def _reload(self, actor) -> None:
        if not self._household_id:
            raise NotFound("家庭不存在或已被删除")
        with unit_of_work() as session:
            view = household_view.household_overview(session, actor=actor, household_id=self._household_id)
        self.household = _texts(view["household"])
        self.members = [_texts(m) | {"active": "1" if m["active"] else ""} for m in view["members"]]
        self.economic = _texts(view["economic"])
        self.economic_history = [_texts(s) for s in view["economic_history"]]
        self.current_tags = [_texts(t) for t in view["tags"]["current"]]
        self.past_tags = [_texts(t) for t in view["tags"]["past"]]
        self.visits = [_texts(v) for v in view["visits"]]
        self.last_visit = _last_visit_text(view["last_visit"])
        self.timeline = [_texts(t) for t in view["timeline"]]
        perms = view["permissions"]
        self.can_edit, self.can_reveal = perms["edit"], perms["reveal"]
        self.can_tag, self.can_visit = perms["tags"], perms["visit"]
        self.can_raise_hard_case = perms["hard_case"]
        # the county's day, not the server's (UTC): a visit at 7 a.m. is dated today, not yesterday
        self.today = households.today_in_china().isoformat()

    # ---- panels (shape the page only; every save is checked on its own) ----

    @rx.event
    def open_panel(self, name: str):
        self.panel = name if self.panel != name else ""
        self.error = ""

    @rx.event
    @protected("visit.record")
    def plan_visit(self, actor):
        """Open the visit form, warning when someone visited the household recently."""
        self.panel = "visit"
        with unit_of_work() as session:
            households.lock_household(session, actor, self._household_id, "visit.record", lock=False,
                                      open_only=False)
            self.visit_warning = household_records.recent_visit_warning(
                session, self._household_id, households.today_in_china()) or ""

    def _panel_record(self, kind: str) -> int:
        """The record an open "<kind>:<id>" panel is about (0: none; the service then refuses)."""
        prefix = f"{kind}:"
        return int(self.panel[len(prefix):]) if self.panel.startswith(prefix) else 0

    def _saved(self, actor, message: str) -> None:
        self.panel, self.visit_warning = "", ""
        self._reload(actor)
        self.info = message

    # ---- reveal ----

    @rx.event
    @protected("registry.reveal")
    def reveal_household(self, actor, field: str):
        with unit_of_work() as session:
            value = households.reveal(session, actor=actor, entity="household",
                                      record_id=self._household_id, field=field)
        self.household = {**self.household, field: value, f"{field}_revealed": "1"}

    @rx.event
    @protected("registry.reveal")
    def reveal_member(self, actor, member_id: str):
        with unit_of_work() as session:
            value = households.reveal(session, actor=actor, entity="member", record_id=int(member_id),
                                      field="id_number")
        self.members = [{**m, "id_number": value, "revealed": "1"} if m["id"] == str(member_id) else m
                        for m in self.members]

    # ---- members ----

    @rx.event
    @protected("registry.edit")
    def add_member(self, actor, form_data: dict):
        with unit_of_work() as session:
            households.add_member(session, actor=actor, household_id=self._household_id,
                                  member=checked_flags(form_data))
        self._saved(actor, f"已添加家庭成员 {form_data.get('name', '')}")

    @rx.event
    @protected("registry.edit")
    def open_member_edit(self, actor, member_id: str):
        with unit_of_work() as session:
            self.editing_member = household_view.member_for_edit(session, actor=actor, member_id=int(member_id))
        self.panel = f"edit:{member_id}"

    @rx.event
    @protected("registry.edit")
    def save_member(self, actor, form_data: dict):
        member_id = int(self.editing_member.get("id", "0"))
        changes = {k: v for k, v in checked_flags(form_data).items()
                   if k in households.MEMBER_FIELDS and (k != "id_number" or str(v).strip())}
        with unit_of_work() as session:
            households.update_member(session, actor=actor, member_id=member_id, changes=changes)
        self._saved(actor, f"已更新家庭成员 {form_data.get('name', '')} 的信息")

    @rx.event
    @protected("registry.edit")
    def remove_member(self, actor, form_data: dict):
        member_id = self._panel_record("remove")
        with unit_of_work() as session:
            households.remove_member(session, actor=actor, member_id=member_id,
                                     left_on=form_data.get("left_on"), reason=form_data.get("reason", ""))
        self._saved(actor, "已将该成员移出本户")

    @rx.event
    @protected("registry.edit")
    def cancel_household(self, actor, form_data: dict):
        with unit_of_work() as session:
            households.update_household(session, actor=actor, household_id=self._household_id,
                                        changes={"status": "cancelled", "reason": form_data.get("reason", "")})
        self._saved(actor, "已注销该家庭，成员均已移出，记录保留")

    @rx.event
    @protected("hard_case.raise")
    def raise_hard_case(self, actor, form_data: dict):
        with unit_of_work() as session:
            meetings.raise_hard_case(session, actor=actor, household_id=self._household_id,
                                     note=form_data.get("note", ""), today=households.today_in_china())
        self._saved(actor, "已提请本乡镇下次联席会议研究")

    # ---- economic status ----

    @rx.event
    @protected("registry.edit")
    def record_economic(self, actor, form_data: dict):
        values = checked_flags(form_data) | {"risk_points": risk_points_of(form_data)}
        with unit_of_work() as session:
            household_records.record_economic_status(
                session, actor=actor, household_id=self._household_id, values=values,
                recorded_on=form_data.get("recorded_on"), source=form_data.get("source") or "manual")
        self._saved(actor, "已记录家庭经济状况")

    # ---- tags ----

    @rx.event
    @protected("tag.manage")
    def add_tag(self, actor, form_data: dict):
        with unit_of_work() as session:
            household_records.add_tag(
                session, actor=actor, household_id=self._household_id, tag=form_data.get("tag", ""),
                start_date=form_data.get("start_date"), decision_ref=form_data.get("decision_ref", ""),
                basis=form_data.get("basis", ""), subtype=form_data.get("subtype", ""))
        self._saved(actor, "已添加对象标识")

    @rx.event
    @protected("tag.manage")
    def end_tag(self, actor, form_data: dict):
        tag_id = self._panel_record("end_tag")
        with unit_of_work() as session:
            household_records.end_tag(session, actor=actor, tag_id=tag_id,
                                      end_date=form_data.get("end_date"), reason=form_data.get("reason", ""))
        self._saved(actor, "已结束该对象标识")

    # ---- visits ----

    @rx.event
    @protected("visit.record")
    def record_visit(self, actor, form_data: dict):
        changed = [s for s in str(form_data.get("changed_fields", "")).replace("，", "、").split("、") if s]
        with unit_of_work() as session:
            visit_id = household_records.record_visit(
                session, actor=actor, household_id=self._household_id,
                visited_on=form_data.get("visited_on"), findings=form_data.get("findings", ""),
                purpose=form_data.get("purpose", ""), changed_fields=changed)
            added = household_view.recorded_visit(session, actor=actor, visit_id=visit_id)
        # Only the visit is new: added in place, not the whole household read again (a visit
        # is the commonest change on this page, and the full read its costliest part).
        visits, timeline = household_view.with_recorded_visit(
            self.visits, self.timeline, {"visit": _texts(added["visit"]), "event": _texts(added["event"])})
        self.visits, self.timeline = visits, timeline
        self.last_visit = _last_visit_text(visits[0])
        self.panel, self.visit_warning = "", ""
        self.info = "已记录走访"

    # ---- means test ----

    @rx.event
    @protected("means_test.run")
    def assess(self, actor, form_data: dict):
        as_of = a_date(form_data.get("as_of") or households.today_in_china().isoformat(), "核算日期")
        with unit_of_work() as session:
            result = means_test.assess_household(session, actor, self._household_id, as_of)
        self.assessment = _texts(result) | {
            "qualifies_text": "、".join(result.get("qualifies_labels") or []) or "无",
            "recommended_text": result.get("recommended_label") or "无",
        }
        self.assessment_reasons = [str(r) for r in result.get("reasons", [])]
        self.assessment_policy = [_texts(p) for p in result.get("policy_rows", [])]
