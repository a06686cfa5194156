"""新建联席会议 (/meetings/new): the area (the user's township; county civil affairs may pick
the county meeting or any township's), the month, when and where, who chairs, and the member
units invited. Creating it drafts the agenda from the area's pending work (services/meetings)."""

import reflex as rx

from ... import routes
from ...components.application_form import is_ticked
from ...components.shell import shell
from ...db.uow import unit_of_work
from ...domain.areas import COUNTY, level_of
from ...services import meetings, public_areas
from ...services.areas import area_names
from ...services.households import today_in_china
from ...state.base import SessionState, protected
from ..resources.common import back_link
from .common import form_text, month_value, texts

MANAGE = "meeting.manage"
CREATED = "已创建，议题已根据待办事项自动生成"
UNIT_PREFIX = "unit_"


class NewMeetingState(SessionState):
    areas: list[dict[str, str]] = []
    area_code: str = ""
    units: list[dict[str, str]] = []
    month: str = ""
    today: str = ""

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter(MANAGE)
        self.areas, self.units, self.area_code = [], [], ""
        if actor is None:
            return redirect
        today = today_in_china()
        self.today, self.month = today.isoformat(), month_value(today)
        with unit_of_work() as session:
            self.areas = _area_options(session, actor.area_code)
            self.units = [texts(u) for u in meetings.member_unit_options(session)]
        if len(self.areas) == 1:
            self.area_code = self.areas[0]["value"]
        return None

    @rx.event
    @protected(MANAGE)
    def create_meeting(self, actor, form_data: dict):
        """Create the meeting (the service checks the area is the user's) and open it."""
        unit_ids = [int(key.removeprefix(UNIT_PREFIX)) for key, value in form_data.items()
                    if key.startswith(UNIT_PREFIX) and key.removeprefix(UNIT_PREFIX).isdigit() and is_ticked(value)]
        with unit_of_work() as session:
            meeting_id = meetings.create_meeting(
                session, actor=actor, area_code=form_text(form_data, "area_code").strip() or self.area_code,
                month=form_text(form_data, "month"), planned_on=form_text(form_data, "planned_on"),
                place=form_text(form_data, "place"), chair_name=form_text(form_data, "chair_name"),
                unit_ids=unit_ids, today=today_in_china())
        self._flash = CREATED
        return rx.redirect(routes.meeting(meeting_id))


def _area_options(session, user_area: str) -> list[dict[str, str]]:
    """The user's township, or for a county user the county meeting and every township."""
    options = public_areas.townships(session, within=user_area)
    if user_area and level_of(user_area) == COUNTY:
        county = area_names(session, {user_area}).get(user_area, "县")
        options = [{"value": user_area, "label": f"{county}（县级联席会议）"}, *options]
    return options


def _field(label: str, control: rx.Component, width: str = "16em") -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1", width=width)


def _units() -> rx.Component:
    S = NewMeetingState
    return rx.vstack(
        rx.text("成员单位（参会的部门、慈善组织和社会组织）", size="2", weight="medium"),
        rx.flex(
            rx.foreach(S.units, lambda u: rx.checkbox(u["name"], name=UNIT_PREFIX + u["id"], id="unit-" + u["id"])),
            wrap="wrap", spacing="4",
        ),
        rx.text("本地区的工作人员自动列为参会人员。", size="1", color_scheme="gray"),
        spacing="2", width="100%", id="meeting-units",
    )


def _form() -> rx.Component:
    S = NewMeetingState
    return rx.form(
        rx.vstack(
            rx.hstack(
                _field("地区 *", rx.select.root(
                    rx.select.trigger(placeholder="请选择", id="meeting-area", width="100%"),
                    rx.select.content(rx.foreach(S.areas, lambda a: rx.select.item(a["label"], value=a["value"]))),
                    name="area_code", default_value=S.area_code)),
                _field("月份 *", rx.input(type="month", name="month", default_value=S.month, id="meeting-month"),
                       "11em"),
                _field("计划召开日期 *", rx.input(type="date", name="planned_on", default_value=S.today,
                                                  id="meeting-planned-on"), "11em"),
                spacing="4", wrap="wrap",
            ),
            rx.hstack(
                _field("会议地点 *", rx.input(name="place", max_length=100, id="meeting-place", width="100%"), "24em"),
                _field("主持人 *", rx.input(name="chair_name", max_length=50, id="meeting-chair", width="100%"), "12em"),
                spacing="4", wrap="wrap",
            ),
            _units(),
            rx.button(rx.icon("calendar_plus", size=16), "创建会议并生成议题", type="submit", id="meeting-submit"),
            spacing="4", width="100%",
        ),
        on_submit=S.create_meeting, reset_on_submit=False, id="meeting-form",
    )


def new_meeting_page() -> rx.Component:
    return shell(
        "新建联席会议",
        back_link(routes.MEETINGS, "返回联席会议"),
        rx.text("每个乡镇（街道）每月一次；县级联席会议由县民政局召集。创建后，议题按待审核申请、超期事项、"
                "疑难个案和以往会议未办结的决定事项自动生成，可再调整。", size="2"),
        rx.card(_form(), width="100%", max_width="820px"),
    )
