"""窗口受理 (/applications/new): station staff enter an application for a resident in front
of them (代办), or a monitoring lead found on a visit (防返贫监测线索), with the same form as
the online page plus the choices only staff make: the track, 近亲属备案 and 绿色通道.

The applicant signs the authorisation at the counter, so the service accepts the case at
once and its clock starts today. The village picker lists only villages inside the clerk's
area; the service checks the area again.
"""

import reflex as rx

from .. import routes
from ..components.application_form import ApplicationFormState, application_form, fix_fields_message, is_ticked
from ..components.shell import shell
from ..db.uow import unit_of_work
from ..domain import intake
from ..domain import registry as codes
from ..domain.errors import FormErrors
from ..domain.permissions import Actor
from ..services import intake_submit, public_areas
from ..services.households import today_in_china
from ..state.base import SessionState, protected
from .resources.common import back_link

ACTION = "application.create"
TRACK_OPTIONS = {intake.ASSISTANCE: "救助申请", intake.MONITORING: "防返贫监测线索"}
DONE = {intake.ASSISTANCE: "已受理该申请，已进入信息比对环节，请按时限完成入户调查",
        intake.MONITORING: "已登记监测线索，请按时限完成入户核实"}


class NewApplicationState(ApplicationFormState, SessionState):

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter(ACTION)
        self.townships, self.villages, self.township = [], [], ""
        self._clear_form()
        self.submitting = False
        if actor is not None:
            self._load_areas(actor)
        return redirect

    def _load_areas(self, actor: Actor) -> None:
        """The clerk's townships; a township or village clerk finds theirs already chosen."""
        with unit_of_work() as session:
            self.townships = public_areas.townships(session, within=actor.area_code)
            if len(self.townships) == 1:
                self.township = self.townships[0]["value"]
                self.villages = public_areas.villages(session, township_code=self.township,
                                                      within=actor.area_code)
        if len(self.villages) == 1:
            self.area_code = self.villages[0]["value"]

    @rx.event
    @protected(ACTION)
    def pick_township(self, actor, code: str):
        if not any(t["value"] == code for t in self.townships):
            return
        with unit_of_work() as session:
            self.villages = public_areas.villages(session, township_code=code, within=actor.area_code)
        self.township, self.area_code = code, ""

    @rx.event
    @protected(ACTION)
    def create_application(self, actor, form_data: dict):
        track = str(form_data.get("track") or intake.ASSISTANCE)
        if track not in TRACK_OPTIONS:
            track = intake.ASSISTANCE
        options = {
            "staff_relative": is_ticked(form_data.get("staff_relative")),
            "staff_relative_note": str(form_data.get("staff_relative_note") or "")[:200],
            "green_channel": is_ticked(form_data.get("green_channel")),
        }
        if track == intake.MONITORING:
            options["monitoring_type"] = str(form_data.get("monitoring_type") or "")
        try:
            with unit_of_work() as session:
                application_id = intake_submit.create_at_station(
                    session, actor=actor, form=self._application_form(form_data), today=today_in_china(),
                    track=track, options=options)
        except FormErrors as exc:
            self.field_errors = exc.fields
            self.error = fix_fields_message(exc.fields)
            return None
        self._clear_form()
        self._flash = DONE[track]
        return rx.redirect(routes.application(application_id))


def _select(name: str, options: dict[str, str], element_id: str, default: str | None = None) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder="请选择", id=element_id, width="100%"),
        rx.select.content(*[rx.select.item(label, value=code) for code, label in options.items()]),
        name=name,
        default_value=default,
        size="3",
    )


def _station_choices() -> rx.Component:
    """What only staff decide: the track, and the two markers reviewers must not miss."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(rx.text("办理类型 *", size="2", weight="medium"),
                          _select("track", TRACK_OPTIONS, "station-track", intake.ASSISTANCE),
                          spacing="1", width="14em"),
                rx.vstack(rx.text("监测对象类型（仅监测线索，可在纳入前补选）", size="2", weight="medium"),
                          _select("monitoring_type", codes.MONITORING_TYPES, "station-monitoring-type"),
                          spacing="1", width="22em"),
                wrap="wrap", spacing="4",
            ),
            rx.checkbox("近亲属备案：申请人是民政工作人员或村（社区）干部的近亲属", name="staff_relative",
                        id="station-staff-relative", size="2"),
            rx.input(name="staff_relative_note", id="station-staff-relative-note", max_length=200, width="100%",
                     placeholder="备案说明：与哪位工作人员/干部、何种关系（勾选近亲属备案时填写）"),
            rx.checkbox("绿色通道（先行救助）：因灾害、意外事故、突发重病等急需救助，先救助后补办手续",
                        name="green_channel", id="station-green-channel", size="2"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def new_application_page() -> rx.Component:
    S = NewApplicationState
    return shell(
        "窗口受理",
        back_link(routes.APPLICATION_LIST, "返回申请列表"),
        rx.text("为到站办理的群众录入申请（代办），或登记走访发现的防返贫监测线索。"
                "提交即受理，当日开始计算办理时限。", size="2"),
        rx.box(
            application_form(
                S, on_submit=S.create_application, submit_label="受理",
                consent_label="申请人已阅读并当面签署以上授权和承诺",
                extra=_station_choices(), form_id="station-form"),
            max_width="720px",
            width="100%",
        ),
    )
