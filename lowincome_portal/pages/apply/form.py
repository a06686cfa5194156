"""网上申请 (/apply): a resident fills in one form, with no account, and gets a tracking number.

Double submission: each filled-in form carries one submission key (a uuid kept server-side,
renewed only after a successful submission), the button is disabled while a submission
runs, a click that arrives after success is ignored, and the service returns the same
application for the same key. Flooding: the service limits applications per client, keyed
by a salted hash of the client's IP (the address itself is never stored).
"""

import hashlib
import logging
import uuid

import reflex as rx

from ... import routes
from ...components.application_form import ApplicationFormState, application_form, fix_fields_message
from ...db.uow import unit_of_work
from ...domain.errors import FormErrors, PortalError
from ...services import intake_submit, public_areas
from ...services.households import today_in_china
from ...state.base import MSG_UNEXPECTED
from .frame import public_frame, public_messages

log = logging.getLogger(__name__)

# A fixed salt: the key only has to tell clients apart for an hour, and must not be the raw
# address (the audit and the application table are read by staff).
CLIENT_KEY_SALT = "lowincome_portal/online-application"

NEXT_STEPS = (
    "乡镇（街道）工作人员受理后，通过部门数据比对核查家庭经济状况；",
    "工作人员将电话联系您并入户调查，请保持电话畅通；",
    "经乡镇初审、在村（社区）公示、县级审核确认后，结果会告知您；",
    "如符合条件，从批准的次月起享受救助。",
)


def client_key_of(ip: str) -> str:
    """The rate-limit key of a client address: sha256 of salt and address ("" when unknown,
    which the service treats as no limit rather than one bucket shared by everyone)."""
    ip = (ip or "").strip()
    if not ip:
        return ""
    return hashlib.sha256(f"{CLIENT_KEY_SALT}|{ip}".encode()).hexdigest()


class ApplyState(ApplicationFormState, rx.State):
    """One visitor's application form. A plain rx.State: see the package docstring."""

    tracking_no: str = ""
    error: str = ""
    info: str = ""
    _submission_key: str = ""

    @rx.event
    def open_form(self):
        """On load: the township list, and a submission key for this form. Events of one
        browser tab run one at a time, so no submission is running now: a flag left set by a
        worker that died mid-submission is cleared."""
        self.error = self.info = ""
        self.submitting = False
        if not self._submission_key:
            self._submission_key = uuid.uuid4().hex
        with unit_of_work() as session:
            self.townships = public_areas.townships(session)

    @rx.event
    def pick_township(self, code: str):
        if not any(t["value"] == code for t in self.townships):
            return
        with unit_of_work() as session:
            self.villages = public_areas.villages(session, township_code=code)
        self.township, self.area_code = code, ""

    @rx.event
    def submit_application(self, form_data: dict):
        if self.submitting or self.tracking_no:
            return  # a second click, queued behind the first: the form is already in
        self.submitting, self.error = True, ""
        yield  # the browser shows the button busy while the service runs
        try:
            self._submit(form_data)
        finally:
            self.submitting = False

    def _client_key(self) -> str:
        # Reflex resolves client_ip from the socket, or from X-Forwarded-For when
        # rxconfig's trusted_proxy_hops says how many proxies to trust.
        return client_key_of(self.router.session.client_ip)

    def _submit(self, form_data: dict) -> None:
        if not self._submission_key:
            self._submission_key = uuid.uuid4().hex
        try:
            with unit_of_work() as session:
                number = intake_submit.submit_online(
                    session, form=self._application_form(form_data), client_key=self._client_key(),
                    submission_key=self._submission_key, today=today_in_china())
        except FormErrors as exc:
            self.field_errors = exc.fields
            self.error = fix_fields_message(exc.fields)
            return
        except PortalError as exc:
            self.field_errors, self.error = {}, exc.message
            return
        except Exception:  # noqa: BLE001 - a bug: logged, the visitor gets a plain message
            log.exception("online application failed")
            self.error = MSG_UNEXPECTED
            return
        self.tracking_no = number
        self._clear_form()  # the members' ID numbers need not stay in the browser
        self._submission_key = uuid.uuid4().hex

    @rx.event
    def new_form(self):
        """Fill in another application (e.g. a cadre helping the next family)."""
        self.tracking_no, self.error, self.info, self.township, self.villages = "", "", "", "", []
        self._clear_form()
        if not self._submission_key:
            self._submission_key = uuid.uuid4().hex


def _done() -> rx.Component:
    S = ApplyState
    return rx.card(
        rx.vstack(
            rx.callout("申请已提交", icon="circle_check", color_scheme="green", size="2", width="100%",
                       id="apply-done"),
            rx.text("您的受理编号", size="2", color_scheme="gray"),
            rx.heading(S.tracking_no, size="8", id="tracking-no", white_space="nowrap"),
            rx.text("请记下或截图保存受理编号；查询进度时需要输入受理编号和申请人身份证号。", size="2",
                    weight="medium"),
            rx.text("接下来：", size="2", weight="bold"),
            rx.ordered_list(*[rx.list_item(rx.text(step, size="2")) for step in NEXT_STEPS]),
            rx.link(rx.button("查询办理进度", size="3", width="100%"),
                    href=f"{routes.APPLY_STATUS}?no={S.tracking_no}", id="apply-status-link", width="100%"),
            rx.button("再填写一份申请", on_click=S.new_form, variant="outline", size="2", id="apply-new"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def apply_page() -> rx.Component:
    S = ApplyState
    return public_frame(
        "网上申请救助",
        rx.cond(
            S.tracking_no != "",
            _done(),
            rx.vstack(
                rx.text("困难群众可在此自愿申请最低生活保障、特困供养等社会救助，无需注册账号。"
                        "带 * 的为必填项。", size="2"),
                public_messages(S),
                application_form(S, on_submit=S.submit_application),
                spacing="4",
                width="100%",
            ),
        ),
    )
