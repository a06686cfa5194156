"""One warning (/warnings/<id>): the evidence (rule, value, threshold, the file and batch it
came from, the month), the household, where the loop stands and its deadline, every step,
and the forms for the steps the service says this user may take now:
指派核查 / 我来核查, 处置 (核查结果, 核查情况, 处置方式 with its own fields), 反馈.

Every command goes to services/warnings with the version the page loaded, so two people
working on the same warning cannot overwrite each other ("该预警已被他人处理，请刷新").
The service checks role and area again on every call.
"""

import reflex as rx

from ... import routes
from ...components.history import history_row
from ...components.shell import shell
from ...db.uow import unit_of_work
from ...domain import intake
from ...domain import monitoring as rules
from ...domain import referrals as referral_rules
from ...domain.errors import NotFound, PortalError
from ...services import warnings
from ...services.households import today_in_china
from ...state.base import SessionState, protected
from ..resources.common import back_link
from .common import an_id, due_marks, form_text, native_select, severity_badge, status_badge, texts

VIEW, VERIFY, FEEDBACK = "warning.view", "warning.verify", "warning.feedback"
MSG_NO_WARNING = "预警不存在"
MSG_ASSIGNED = "已指派核查，核查期限 {due}"
MSG_HANDLED = "已记录核查与处置结果"
MSG_FED_BACK = "已反馈，预警办结"
REFERRAL, APPLICATION, NO_ACTION = "referral", "application", "no_action"


class WarningState(SessionState):
    _warning_id: int = 0
    _version: int = 0
    warning: dict[str, str] = {}
    household: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    can_assign: bool = False
    can_handle: bool = False
    can_feedback: bool = False
    can_refer: bool = False
    assignees: list[dict[str, str]] = []
    # the 转介帮扶 fields: the kinds, and the units offering the chosen kind
    kinds: list[dict[str, str]] = []
    departments: list[dict[str, str]] = []
    need_kind: str = ""
    # what handling started: the need and its referral, or the application
    need: dict[str, str] = {}
    referral: dict[str, str] = {}
    application: dict[str, str] = {}
    _orgs_by_kind: dict[str, list[dict[str, str]]] = {}
    # the 处置 form's choices that decide which fields it shows
    verify_result: str = "confirmed"
    disposition: str = REFERRAL
    need_mode: str = "assigned"

    @rx.event
    def on_enter(self):
        self._clear()
        actor, redirect = self._enter(VIEW)
        if actor is None:
            return redirect
        self._warning_id = self._route_id("warning_id")
        try:
            self._reload(actor)
        except PortalError as exc:
            self.error = exc.message
        return None

    def _clear(self) -> None:
        self.warning, self.household, self.steps = {}, {}, []
        self.can_assign = self.can_handle = self.can_feedback = self.can_refer = False
        self.assignees, self.kinds, self.departments, self._orgs_by_kind = [], [], [], {}
        self.need, self.referral, self.application = {}, {}, {}
        self.verify_result, self.disposition, self.need_mode, self.need_kind = "confirmed", REFERRAL, "assigned", ""

    def _reload(self, actor) -> None:
        if not self._warning_id:
            raise NotFound(MSG_NO_WARNING)
        with unit_of_work() as session:
            view = warnings.warning_detail(session, actor=actor, warning_id=self._warning_id, today=today_in_china())
        self._show(view)

    def _show(self, view: dict) -> None:
        w = view["warning"]
        self._version = int(w["version"])
        self.warning = texts(w)
        self.household = texts(view["household"])
        self.steps = [texts(e) for e in view["events"]]
        linked = view["linked"]
        self.need, self.referral, self.application = (texts(linked["need"]), texts(linked["referral"]),
                                                      texts(linked["application"]))
        self.can_assign, self.can_handle, self.can_feedback = (bool(view["can_assign"]), bool(view["can_handle"]),
                                                               bool(view["can_feed_back"]))
        self.can_refer = bool(view.get("can_refer"))
        if not self.can_refer and self.disposition == REFERRAL:
            self.disposition = APPLICATION
        self.assignees = [{"value": u["id"], "label": f"{u['name']}（{u['area']}）" if u["area"] else u["name"]}
                          for u in view["assignable"]]
        dispatch = view["dispatch"] or {}
        self.kinds = [{"value": k["value"], "label": f"{k['label']}（{k['organisations']} 家单位）"}
                      for k in dispatch.get("kinds", [])]
        self._orgs_by_kind = {kind: [{"value": o["id"], "label": f"{o['name']}（{o['kind_label']}）"} for o in orgs]
                              for kind, orgs in dispatch.get("organisations", {}).items()}
        self._pick_kind(self.need_kind)

    def _pick_kind(self, kind: str) -> None:
        """The units offering `kind` where the household lives; with none, only the pool is left."""
        self.need_kind = kind if kind in self._orgs_by_kind else ""
        self.departments = self._orgs_by_kind.get(self.need_kind, [])
        if not self.departments:
            self.need_mode = "pool"

    def _done(self, actor, message: str) -> None:
        self._reload(actor)
        self.info = message

    @rx.event
    @protected(VERIFY)
    def assign(self, actor, form_data: dict):
        """指派核查: to the chosen township or village user, or to oneself when none is chosen."""
        assignee = an_id(form_data.get("assignee_id")) or None
        with unit_of_work() as session:
            warnings.assign(session, actor=actor, warning_id=self._warning_id, assignee_id=assignee,
                            version=self._version, today=today_in_china())
        self._reload(actor)
        self.info = MSG_ASSIGNED.format(due=self.warning.get("due_on", ""))

    @rx.event
    @protected(VERIFY)
    def assign_me(self, actor):
        """我来核查."""
        with unit_of_work() as session:
            warnings.assign(session, actor=actor, warning_id=self._warning_id, assignee_id=None,
                            version=self._version, today=today_in_china())
        self._reload(actor)
        self.info = MSG_ASSIGNED.format(due=self.warning.get("due_on", ""))

    @rx.event
    @protected(VERIFY)
    def pick_verify_result(self, actor, value: str):
        self.verify_result = value if value in rules.VERIFY_RESULTS else "confirmed"
        if self.verify_result != "confirmed":
            self.disposition = NO_ACTION  # a report found untrue is closed without action

    @rx.event
    @protected(VERIFY)
    def pick_disposition(self, actor, value: str):
        self.disposition = value if value in rules.DISPOSITIONS else REFERRAL

    @rx.event
    @protected(VERIFY)
    def pick_need_mode(self, actor, value: str):
        self.need_mode = "pool" if value == "pool" or not self.departments else "assigned"

    @rx.event
    @protected(VERIFY)
    def pick_kind(self, actor, value: str):
        self._pick_kind(str(value or ""))
        if self.departments:
            self.need_mode = "assigned"

    @rx.event
    @protected(VERIFY)
    def handle(self, actor, form_data: dict):
        """处置: the verification, then the disposition (the service checks the combination)."""
        disposition = self.disposition
        need = None
        if disposition == REFERRAL:
            need = {"kind": self.need_kind, "description": form_text(form_data, "description"),
                    "amount": form_text(form_data, "amount"), "urgency": form_text(form_data, "urgency") or "normal",
                    "mode": self.need_mode,
                    "organisation_id": (an_id(form_data.get("organisation_id")) or None)
                    if self.need_mode == "assigned" else None}
        elif disposition == APPLICATION:
            need = {"track": form_text(form_data, "track") or intake.ASSISTANCE,
                    "consent": bool(form_data.get("consent"))}
        with unit_of_work() as session:
            warnings.handle(session, actor=actor, warning_id=self._warning_id, verify_result=self.verify_result,
                            verify_note=form_text(form_data, "verify_note"), disposition=disposition,
                            disposition_note=form_text(form_data, "disposition_note"), need=need,
                            version=self._version, today=today_in_china())
        self._done(actor, MSG_HANDLED)

    @rx.event
    @protected(FEEDBACK)
    def feed_back(self, actor, form_data: dict):
        with unit_of_work() as session:
            warnings.feed_back(session, actor=actor, warning_id=self._warning_id,
                               feedback=form_text(form_data, "feedback"), version=self._version,
                               today=today_in_china())
        self._done(actor, MSG_FED_BACK)


S = WarningState


def _item(label: str, *value) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label, min_width="6em"),
                             rx.data_list.value(rx.hstack(*value, spacing="2", align="center", wrap="wrap")))


def _field(label: str, control: rx.Component, width: str = "16em") -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium"), control, spacing="1", width=width)


def _evidence() -> rx.Component:
    w = S.warning
    return rx.card(rx.vstack(
        rx.hstack(rx.heading(w["rule_name"], size="4", id="warning-rule"), severity_badge(w), status_badge(w),
                  spacing="3", align="center"),
        rx.callout(w["evidence"], icon="activity", color_scheme="amber", width="100%", id="warning-evidence"),
        rx.hstack(
            rx.data_list.root(
                _item("指标值", rx.text(w["value"], id="warning-value")),
                _item("阈值", rx.text(w["threshold"], id="warning-threshold")),
                _item("来源", rx.text(w["source_label"], id="warning-source"),
                      rx.cond(w["batch_id"] != "", rx.text("（导入批次 #", w["batch_id"], "）", size="2",
                                                           color_scheme="gray"))),
                _item("期间", rx.text(w["period"])),
                _item("严重程度", rx.text(w["severity_label"])),
                _item("责任部门", rx.text(w["department_label"])),
            ),
            rx.data_list.root(
                _item("户主", rx.cond(S.household["href"] != "",
                                    rx.link(S.household["head_name"], href=S.household["href"], weight="bold",
                                            id="warning-household"),
                                    rx.text(S.household["head_name"], weight="bold", id="warning-household"))),
                _item("村（社区）", rx.text(S.household["village"])),
                _item("家庭类别", rx.text(S.household["tags_label"])),
                _item("涉及成员", rx.text(w["member_name"])),
                _item("状态", rx.box(status_badge(w), id="warning-status")),
                _item("办理时限", due_marks(w)),
                _item("核查人", rx.text(w["assignee"], id="warning-assignee")),
            ),
            spacing="9", align="start", wrap="wrap",
        ),
        spacing="3", width="100%"), width="100%")


def _result() -> rx.Component:
    """What verification and handling found, and what they started (links)."""
    w = S.warning
    return rx.cond(
        w["verify_result"] != "",
        rx.card(rx.vstack(
            rx.heading("核查与处置", size="3"),
            rx.data_list.root(
                _item("核查结果", rx.text(w["verify_result_label"], weight="bold", id="warning-verify-result")),
                _item("核查情况", rx.text(w["verify_note"], white_space="pre-wrap")),
                _item("处置方式", rx.text(w["disposition_label"], id="warning-disposition")),
                _item("处置说明", rx.text(w["disposition_note"], white_space="pre-wrap")),
                _item("处置日期", rx.text(w["handled_on"])),
                rx.cond(S.need.contains("id"),
                        _item("帮扶需求", rx.text(S.need["kind_label"], "（", S.need["status_label"], "）"),
                              rx.link("到家庭页查看", href=S.need["href"], size="2", id="warning-need"))),
                rx.cond(S.referral.contains("id"),
                        _item("转介事项", rx.link("转介 #", S.referral["id"], href=S.referral["href"],
                                              id="warning-referral"),
                              rx.text(S.referral["mode_label"], " ", S.referral["organisation_name"], "，",
                                      S.referral["status_label"], size="2"))),
                rx.cond(S.application.contains("id"),
                        _item("救助申请", rx.link(S.application["tracking_no"], href=S.application["href"],
                                              id="warning-application"),
                              rx.text(S.application["track_label"], "，", S.application["state_label"], size="2"))),
                rx.cond(w["feedback"] != "",
                        _item("反馈", rx.text(w["feedback"], white_space="pre-wrap", id="warning-feedback"))),
            ),
            spacing="2"), width="100%"),
    )


def _assign_form() -> rx.Component:
    return rx.cond(
        S.can_assign,
        rx.card(rx.form(
            rx.vstack(
                rx.heading("指派核查", size="3"),
                rx.hstack(
                    _field("核查人", native_select("assignee_id", "assign-assignee", options=S.assignees,
                                                  empty="（请选择乡镇或村工作人员）"), "22em"),
                    rx.button("指派", type="submit", id="assign-submit"),
                    rx.button("我来核查", type="button", variant="soft", on_click=S.assign_me, id="assign-me"),
                    spacing="3", align="end",
                ),
                spacing="3", width="100%",
            ),
            on_submit=S.assign, reset_on_submit=False, id="assign-form"), width="100%"),
    )


def _referral_fields() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            _field("救助类别 *", rx.select.root(
                rx.select.trigger(placeholder="请选择救助类别", id="handle-kind", width="100%"),
                rx.select.content(rx.foreach(S.kinds, lambda k: rx.select.item(k["label"], value=k["value"]))),
                value=S.need_kind, on_change=S.pick_kind), "20em"),
            _field("需求金额（元）", rx.input(name="amount", id="handle-amount", width="100%")),
            _field("紧急程度", native_select("urgency", "handle-urgency", fixed=referral_rules.URGENCY,
                                             default="normal", empty=None)),
            spacing="3", wrap="wrap",
        ),
        _field("需求说明（不填则按预警依据生成）", rx.text_area(name="description", rows="2", max_length=500, id="handle-description",
                                       width="100%"), "100%"),
        rx.radio_group.root(
            rx.hstack(*[rx.radio_group.item(label, value=value, id=f"handle-mode-{value}")
                        for value, label in referral_rules.MODES.items()], spacing="5"),
            value=S.need_mode, on_change=S.pick_need_mode, name="mode", id="handle-mode",
        ),
        rx.cond(S.need_mode == "assigned",
                _field("承办部门 *", native_select("organisation_id", "handle-organisation", options=S.departments),
                       "22em"),
                rx.text(rx.cond(S.need_kind == "", "请先选择救助类别",
                                rx.cond(S.departments.length() > 0, "发布到需求池，由服务本村、提供此类帮扶的合作机构认领",
                                        "没有单位在该户所在区域承办此类帮扶，只能发布到需求池")),
                        size="2", color_scheme="gray")),
        spacing="3", width="100%",
    )


def _handle_form() -> rx.Component:
    return rx.cond(
        S.can_handle,
        rx.card(rx.form(
            rx.vstack(
                rx.heading("核查处置", size="3"),
                rx.radio_group.root(
                    rx.hstack(*[rx.radio_group.item(label, value=value, id=f"handle-result-{value}")
                                for value, label in rules.VERIFY_RESULTS.items()], spacing="5"),
                    value=S.verify_result, on_change=S.pick_verify_result, name="verify_result", id="handle-result",
                ),
                _field("核查情况 *", rx.text_area(name="verify_note", rows="3", max_length=1000,
                                               id="handle-verify-note", width="100%"), "100%"),
                _field("处置方式 *", rx.select.root(
                    rx.select.trigger(id="handle-disposition"),
                    rx.select.content(*[
                        rx.cond(S.can_refer, rx.select.item(label, value=value)) if value == REFERRAL
                        else rx.select.item(label, value=value)
                        for value, label in rules.DISPOSITIONS.items()]),
                    value=S.disposition, on_change=S.pick_disposition)),
                rx.match(
                    S.disposition,
                    (REFERRAL, _referral_fields()),
                    (APPLICATION, rx.hstack(
                        _field("申请类型", native_select("track", "handle-track", fixed=intake.TRACK_LABELS,
                                                         default=intake.ASSISTANCE, empty=None)),
                        rx.el.label(rx.el.input(type="checkbox", name="consent", id="handle-consent"),
                                    " 申请人已同意申请并书面授权核对家庭经济状况",
                                    style={"font_size": "var(--font-size-2)"}),
                        spacing="4", align="end", wrap="wrap")),
                    rx.fragment(),
                ),
                _field(rx.cond(S.disposition == NO_ACTION, "无需处置的理由 *", "处置说明"),
                       rx.text_area(name="disposition_note", rows="2", max_length=1000,
                                    id="handle-disposition-note", width="100%"), "100%"),
                rx.button("提交核查处置结果", type="submit", id="handle-submit"),
                spacing="3", width="100%",
            ),
            on_submit=S.handle, reset_on_submit=False, id="handle-form"), width="100%"),
    )


def _feedback_form() -> rx.Component:
    return rx.cond(
        S.can_feedback,
        rx.card(rx.form(
            rx.vstack(
                rx.heading("反馈", size="3"),
                rx.text("向数据来源部门反馈核查处置结果（民政、农业农村部门看到同一结果）", size="2", color_scheme="gray"),
                rx.text_area(name="feedback", rows="3", max_length=1000, id="feedback-text", width="100%"),
                rx.button("提交反馈", type="submit", id="feedback-submit"),
                spacing="3", width="100%",
            ),
            on_submit=S.feed_back, reset_on_submit=True, id="feedback-form"), width="100%"),
    )


def _steps() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("办理过程", size="3"),
        rx.foreach(S.steps, lambda e: history_row(e["at"], e["action_label"], "→ " + e["status_label"],
                                                   e["comment"], who=e["actor_name"])),
        spacing="1", width="100%", id="warning-steps"), width="100%")


def warning_page() -> rx.Component:
    return shell(
        "预警处置",
        back_link(routes.WARNINGS, "返回监测预警"),
        rx.cond(S.warning.contains("id"),
                rx.vstack(_evidence(), _result(), _assign_form(), _handle_form(), _feedback_form(), _steps(),
                          spacing="4", width="100%")),
    )
