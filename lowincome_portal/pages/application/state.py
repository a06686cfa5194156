"""The application page's state: one application's plain dicts, and thin handlers that take
a step, record and resolve objections, and download the refusal letter.

Every handler checks its action on the server and the service checks the application lies
in the user's area. A step is taken with the version the page showed, so a user acting on a
page someone else has since moved is told, not obeyed twice.
"""

import reflex as rx

from ...db.uow import unit_of_work
from ...domain.errors import NotFound, PortalError
from ...services import intake, intake_notice, intake_papers, intake_view
from ...services.households import today_in_china
from ...state.base import SessionState, protected


def _texts(d: dict | None) -> dict[str, str]:
    return {k: ("" if v is None else str(v)) for k, v in (d or {}).items() if not isinstance(v, (dict, list))}


class ApplicationState(SessionState):
    _application_id: int = 0
    _version: int = 0
    app: dict[str, str] = {}
    clock: dict[str, str] = {}
    progress: list[dict[str, str]] = []
    actions: list[dict[str, str]] = []
    # the step whose confirmation form is open
    step: dict[str, str] = {}
    listed_members: list[dict[str, str]] = []
    # the 公示 posted for this case (not SessionState.notice, the sign-in page's message)
    public_notice: dict[str, str] = {}
    objections: list[dict[str, str]] = []
    assessment: dict[str, str] = {}
    assessment_reasons: list[str] = []
    decision: dict[str, str] = {}
    events: list[dict[str, str]] = []
    burden: dict[str, str] = {}
    # the open inline form: "" | step:<action> | objection | resolve:<id>
    panel: str = ""

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter("application.view")
        self.panel = ""
        if actor is None:
            return redirect
        self._application_id = self._route_id("application_id")
        try:
            self._reload(actor)
        except PortalError as exc:
            self.app = {}
            self.error = exc.message
        return None

    def _reload(self, actor) -> None:
        if not self._application_id:
            raise NotFound("申请不存在")
        with unit_of_work() as session:
            view = intake_view.application_detail(session, actor=actor, application_id=self._application_id,
                                                  today=today_in_china())
        self._version = view["version"]
        self.app = _texts(view) | {k: "1" if view[k] else "" for k in
                                   ("open", "consent", "staff_relative", "green_channel", "can_investigate",
                                    "can_object")}
        self.clock = _texts(view["clock"])
        self.progress = [_texts(p) for p in view["progress"]]
        self.actions = [_texts(a) | {"blocked": "；".join(a["blockers"])} | {
            k: "1" if a[k] else "" for k in ("negative", "comment_required", "needs_monitoring_type",
                                              "asks_income_unstable")} for a in view["actions"]]
        self.listed_members = [_texts(m) for m in view["listed_members"]]
        self.public_notice = _texts(view["notice"]) | {"posted": "1" if view["notice"]["posted"] else ""}
        self.objections = [_texts(o) | {"resolved": "1" if o["resolved"] else ""} for o in view["objections"]]
        assessment = view["assessment"] or {}
        self.assessment = _texts(assessment)
        self.assessment_reasons = list(assessment.get("reasons", []))
        self.decision = _texts(view["decision"]) | {"made": "1" if view["decision"]["made"] else "",
                                                     "refused": "1" if view["decision"]["refused"] else ""}
        self.events = [_texts(e) for e in view["events"]]
        self.burden = _texts(view["burden"])

    def _done(self, actor, message: str) -> None:
        self.panel, self.step = "", {}
        self._reload(actor)
        self.info = message

    @rx.event
    def open_panel(self, name: str):
        self.panel = name if self.panel != name else ""
        self.step = {}
        self.error = ""

    @rx.event
    def open_step(self, action: str):
        """Open the confirmation form of one of the offered steps (shapes the page only)."""
        self.step = next((a for a in self.actions if a["action"] == action and self.step.get("action") != action), {})
        self.panel = "step" if self.step else ""
        self.error = ""

    @rx.event
    @protected("application.view")
    def take_step(self, actor, form_data: dict):
        """Take the step named in the form (its roles are checked by the track table)."""
        action = self.step.get("action", "")
        options = {"income_unstable": bool(form_data.get("income_unstable")),
                   "monitoring_type": form_data.get("monitoring_type", "")}
        try:
            with unit_of_work() as session:
                state = intake.take_step(session, actor=actor, application_id=self._application_id, action=action,
                                         comment=str(form_data.get("comment", "")), today=today_in_china(),
                                         expected_version=self._version, options=options)
        except PortalError:
            self._reload(actor)  # show where the case is now, then the reason
            raise
        self._done(actor, f"已办理，当前环节：{intake_view.intake.state_label(self.app['track'], state)}")

    @rx.event
    @protected("application.notice")
    def add_objection(self, actor, form_data: dict):
        with unit_of_work() as session:
            intake_notice.add_objection(session, actor=actor, application_id=self._application_id,
                                        raised_on=form_data.get("raised_on"), raised_by=form_data.get("raised_by", ""),
                                        content=form_data.get("content", ""), today=today_in_china())
        self._done(actor, "异议已登记；处理完毕前不能报请审核确认")

    @rx.event
    @protected("application.notice")
    def resolve_objection(self, actor, form_data: dict):
        objection = self.panel.removeprefix("resolve:") if self.panel.startswith("resolve:") else ""
        with unit_of_work() as session:
            intake_notice.resolve_objection(session, actor=actor,
                                            objection_id=int(objection) if objection.isdigit() else 0,
                                            resolution=form_data.get("resolution", ""), today=today_in_china())
        self._done(actor, "异议处理结果已登记")

    @rx.event
    @protected("application.view")
    def download_refusal(self, actor):
        with unit_of_work() as session:
            filename, data = intake_papers.refusal_letter(session, actor=actor,
                                                          application_id=self._application_id)
        return rx.download(data=data, filename=filename)
