"""One meeting's state (/meetings/<id>): the header, attendance, the agenda with each item's
minutes, the action items the meeting created, and thin handlers over services/meetings.py.

Ids of attendees, items and action items come from the browser; the service checks each
record lies in the user's area and that the meeting's minutes are not yet approved, so a
hand-made call on another township's meeting changes nothing. Every handler reloads the
meeting from the service afterwards, so the page always shows what was saved.
"""

import asyncio

import reflex as rx

from ...db.uow import unit_of_work
from ...domain.errors import NotFound, PortalError
from ...services import meeting_papers, meetings
from ...services.households import today_in_china
from ...state.base import SessionState, protected, protected_background
from .common import form_text, texts

VIEW, MANAGE, UPDATE_ACTION = "meeting.view", "meeting.manage", "action_item.update"
PDF = "application/pdf"


def _id(value) -> int:
    """A record id sent by the browser (0 when it is not a number: the service says not found)."""
    try:
        return int(str(value or "0").strip())
    except ValueError:
        return 0


def _minutes_pdf(actor, meeting_id: int) -> tuple[str, bytes]:
    """The minutes in their own unit of work (the export audit entry commits with them); runs in a thread."""
    with unit_of_work() as session:
        return meeting_papers.minutes_document(session, actor=actor, meeting_id=meeting_id, today=today_in_china())


class MeetingState(SessionState):
    _meeting_id: int = 0
    meeting: dict[str, str] = {}
    attendees: list[dict[str, str]] = []
    items: list[dict[str, str]] = []
    # the member units and the attending users: the choices of "responsible" in a minutes form
    units: list[dict[str, str]] = []
    people: list[dict[str, str]] = []
    actions: list[dict[str, str]] = []
    # may change the meeting now (meeting.manage and minutes not yet approved)
    editable: bool = False
    printing: bool = False
    today: str = ""

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter(VIEW)
        self._clear()
        if actor is None:
            return redirect
        self._meeting_id = self._route_id("meeting_id")
        try:
            self._reload(actor)
        except PortalError as exc:
            self._clear()
            self.error = exc.message
        return None

    def _clear(self) -> None:
        self.meeting, self.attendees, self.items, self.units, self.people, self.actions = {}, [], [], [], [], []
        self.editable = False

    def _reload(self, actor) -> None:
        if not self._meeting_id:
            raise NotFound("会议不存在")
        today = today_in_china()
        with unit_of_work() as session:
            view = meetings.meeting_detail(session, actor=actor, meeting_id=self._meeting_id, today=today)
        self.today = today.isoformat()
        self.meeting = texts(view)
        self.attendees = [texts(a) for a in view["attendees"]]
        self.units = [{"value": str(u["id"]), "label": u["name"]} for u in view["units"]]
        self.people = [{"value": str(p["id"]), "label": p["name"]} for p in view["people"]]
        self.items = [texts(i) for i in view["items"]]
        self.actions = [texts(a) for a in view["actions"]]
        self.editable = bool(view["editable"])

    def _done(self, actor, message: str) -> None:
        self._reload(actor)
        self.info = message

    # --- attendance and the agenda ----------------------------------------------------------

    @rx.event
    @protected(MANAGE)
    def sign_in(self, actor, attendee_id: str, present: bool):
        with unit_of_work() as session:
            meetings.sign_in(session, actor=actor, attendee_id=_id(attendee_id), present=bool(present))
        self._done(actor, "已签到" if present else "已取消签到")

    @rx.event
    @protected(MANAGE)
    def move_item(self, actor, item_id: str, direction: str):
        with unit_of_work() as session:
            meetings.move_item(session, actor=actor, item_id=_id(item_id),
                               direction="up" if direction == "up" else "down")
        self._done(actor, "议题顺序已调整")

    @rx.event
    @protected(MANAGE)
    def drop_item(self, actor, item_id: str):
        with unit_of_work() as session:
            meetings.drop_item(session, actor=actor, item_id=_id(item_id))
        self._done(actor, "已移出议题")

    @rx.event
    @protected(MANAGE)
    def restore_item(self, actor, item_id: str):
        with unit_of_work() as session:
            meetings.restore_item(session, actor=actor, item_id=_id(item_id))
        self._done(actor, "已恢复议题")

    @rx.event
    @protected(MANAGE)
    def add_item(self, actor, form_data: dict):
        with unit_of_work() as session:
            meetings.add_item(session, actor=actor, meeting_id=self._meeting_id,
                              title=form_text(form_data, "title"), detail=form_text(form_data, "detail"))
        self._done(actor, "已添加议题")

    @rx.event
    @protected(MANAGE)
    def save_minutes(self, actor, form_data: dict):
        """One item's discussion, decision, responsible unit or person and deadline (and, for a
        转介 about a household, the assistance kind of the referral it dispatches)."""
        with unit_of_work() as session:
            meetings.record_minutes(
                session, actor=actor, item_id=_id(form_data.get("item_id")),
                discussion=form_text(form_data, "discussion"), decision=form_text(form_data, "decision"),
                responsible_org_id=form_text(form_data, "responsible_org_id"),
                responsible_user_id=form_text(form_data, "responsible_user_id"),
                deadline=form_text(form_data, "deadline"),
                assistance_kind=form_text(form_data, "assistance_kind"), today=today_in_china())
        self._done(actor, "已保存会议记录和决定")

    # --- the meeting's course ---------------------------------------------------------------

    @rx.event
    @protected(MANAGE)
    def mark_held(self, actor, form_data: dict):
        with unit_of_work() as session:
            meetings.mark_held(session, actor=actor, meeting_id=self._meeting_id,
                               held_on=form_text(form_data, "held_on"), today=today_in_china())
        self._done(actor, "已登记会议召开")

    @rx.event
    @protected(MANAGE)
    def approve_minutes(self, actor):
        with unit_of_work() as session:
            meetings.approve_minutes(session, actor=actor, meeting_id=self._meeting_id, today=today_in_china())
        self._done(actor, "会议纪要已审定，决定事项已交办")

    @rx.event
    @protected(UPDATE_ACTION)
    def complete_action(self, actor, form_data: dict):
        with unit_of_work() as session:
            meetings.complete_action(session, actor=actor, action_id=_id(form_data.get("action_id")),
                                     note=form_text(form_data, "note"), today=today_in_china())
        self._done(actor, "已办结")

    # --- the minutes as a PDF ----------------------------------------------------------------

    @rx.event(background=True)
    @protected_background(VIEW)
    async def download_minutes(self, actor):
        """WeasyPrint takes about a second: drawn in a worker thread so other clicks do not wait."""
        async with self:
            self.printing = True
            meeting_id = self._meeting_id
        try:
            filename, pdf = await asyncio.to_thread(_minutes_pdf, actor, meeting_id)
        finally:
            async with self:
                self.printing = False
        async with self:
            self.info = f"已生成“{filename}”"
        return rx.download(data=pdf, filename=filename, mime_type=PDF)
