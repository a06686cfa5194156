"""查询办理进度 (/apply/status): the tracking number and the applicant's ID number give the
public view of one case (services.intake_submit.public_status: steps and dates, no staff
comments). Any mismatch gets the same message, so the page tells nobody who applied.
"""

import logging

import reflex as rx

from ...components.table import data_table
from ...db.uow import unit_of_work
from ...domain.errors import PortalError
from ...services import intake_submit
from ...state.base import MSG_UNEXPECTED
from .form import client_key_of
from .frame import public_frame, public_messages

log = logging.getLogger(__name__)

MAX_TRACKING_NO = 20


class ApplyStatusState(rx.State):
    """One visitor's status lookup. A plain rx.State: see the package docstring."""

    tracking_no: str = ""
    # tracking_no, applicant, state, open ("1"/""), due_on, decision
    status: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    error: str = ""
    info: str = ""

    @rx.event
    def open_status(self):
        """On load: the tracking number from the link on the success page (?no=...)."""
        given = self.router.url.query_parameters.get("no", "")
        self.tracking_no = str(given).strip()[:MAX_TRACKING_NO]
        self.status, self.steps, self.error, self.info = {}, [], "", ""

    @rx.event
    def set_tracking_no(self, value: str):
        self.tracking_no = str(value or "")[:MAX_TRACKING_NO]

    @rx.event
    def look_up(self, form_data: dict):
        id_number = str(form_data.get("id_number") or "")[:18]
        if form_data.get("tracking_no"):  # the input's own text, even if its last change is still in flight
            self.tracking_no = str(form_data["tracking_no"]).strip()[:MAX_TRACKING_NO]
        self.status, self.steps, self.error = {}, [], ""
        client_key = client_key_of(self.router.session.client_ip)
        try:
            with unit_of_work() as session:
                found = intake_submit.public_status(session, tracking_no=self.tracking_no, id_number=id_number,
                                                    client_key=client_key)
        except intake_submit.LookupFailed as exc:
            with unit_of_work() as session:
                intake_submit.note_failed_lookup(session, client_key=client_key)
            self.error = exc.message
            return
        except PortalError as exc:
            self.error = exc.message
            return
        except Exception:  # noqa: BLE001 - a bug: logged, the visitor gets a plain message
            log.exception("status lookup failed")
            self.error = MSG_UNEXPECTED
            return
        self.status = {
            "tracking_no": found["tracking_no"], "applicant": found["applicant"], "state": found["state"],
            "open": "1" if found["open"] else "", "due_on": found["due_on"], "decision": found["decision"],
        }
        self.steps = [{"day": s["day"], "step": s["step"]} for s in found["steps"]]


def _result() -> rx.Component:
    S = ApplyStatusState
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text("受理编号", size="2", color_scheme="gray"),
                      rx.text(S.status["tracking_no"], size="2", weight="bold"), spacing="2"),
            rx.hstack(rx.text("申请人", size="2", color_scheme="gray"),
                      rx.text(S.status["applicant"], size="2"), spacing="2"),
            rx.hstack(rx.text("当前环节", size="2", color_scheme="gray"),
                      rx.badge(S.status["state"], size="3", color_scheme="blue", id="status-state"),
                      spacing="2", align="center"),
            rx.cond(S.status["due_on"] != "",
                    rx.text("本环节办理时限：", S.status["due_on"], " 前", size="2", id="status-due-on")),
            rx.cond(S.status["decision"] != "",
                    rx.callout(S.status["decision"], icon="info", size="2", width="100%", id="status-decision")),
            rx.text("办理记录", size="2", weight="bold"),
            data_table(S.steps, [("day", "日期"), ("step", "环节")], table_id="status-steps"),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="status-result",
    )


def apply_status_page() -> rx.Component:
    S = ApplyStatusState
    return public_frame(
        "查询办理进度",
        rx.text("请输入受理编号和申请人身份证号。", size="2"),
        rx.form(
            rx.vstack(
                rx.text("受理编号", size="2", weight="medium"),
                rx.input(value=S.tracking_no, on_change=S.set_tracking_no, id="status-tracking-no", name="tracking_no",
                         placeholder="例：SQ20260105-123456", width="100%", size="3",
                         max_length=MAX_TRACKING_NO),
                rx.text("申请人身份证号", size="2", weight="medium"),
                rx.input(name="id_number", id="status-id-number", width="100%", size="3", max_length=18),
                rx.button("查询", type="submit", size="3", width="100%", id="status-submit"),
                spacing="2",
                width="100%",
            ),
            on_submit=S.look_up,
            reset_on_submit=False,
            width="100%",
        ),
        public_messages(S),
        rx.cond(S.status.contains("state"), _result()),
    )
