"""A demo joint meeting: 新民镇's meeting of last month, held and approved, whose decisions
left one task done and one still open - so this month's meeting, when someone creates it,
follows the open one up. Built through the real services with the demo logins.
Idempotent: skipped when any meeting exists.
"""

from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..db.tables import AgendaItem, Meeting, Organisation, User
from ..domain.meetings import month_start, previous_month
from ..services import meetings
from ..services.auth import actor_for
from ..services.households import today_in_china

XINMIN = "500231100000"


def seed_demo_meeting(session: Session, today: date | None = None) -> int:
    if session.exec(select(func.count()).select_from(Meeting)).one():
        return 0
    today = today or today_in_china()
    xinmin = actor_for(session, session.exec(select(User).where(User.username == "xinmin")).one())
    units = {o.name: o.id for o in session.exec(select(Organisation)).all()}
    month = previous_month(month_start(today))
    held = month + timedelta(days=19)
    meeting_id = meetings.create_meeting(
        session, actor=xinmin, area_code=XINMIN, month=month, planned_on=held, place="新民镇便民服务中心会议室",
        chair_name="王芳", unit_ids=[units["垫江县慈善会"], units["垫江县医疗保障局"]], today=held)
    meetings.add_item(session, actor=xinmin, meeting_id=meeting_id, title="凤凰村2组危房户冬季安置",
                      detail="两户 C 级危房老人需过冬安置")
    meetings.add_item(session, actor=xinmin, meeting_id=meeting_id, title="长岭村大病家庭医疗费用核查",
                      detail="一户住院自付费用较大，需核实医保报销情况")
    items = session.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
                         .order_by(col(AgendaItem.position))).all()
    deadline = held + timedelta(days=20)
    for item in items:
        if "危房" in item.title:
            meetings.record_minutes(session, actor=xinmin, item_id=item.id, discussion="慈善会协助租房过冬，村委落实",
                                    decision="assign", responsible_org_id=units["垫江县慈善会"], deadline=deadline,
                                    today=held)
        elif "医疗" in item.title:
            meetings.record_minutes(session, actor=xinmin, item_id=item.id, discussion="转医保局核实大病报销",
                                    decision="refer", responsible_org_id=units["垫江县医疗保障局"], deadline=deadline,
                                    today=held)
        else:
            meetings.record_minutes(session, actor=xinmin, item_id=item.id, discussion="按程序继续办理",
                                    decision="approve", today=held)
    meetings.mark_held(session, actor=xinmin, meeting_id=meeting_id, held_on=held, today=held)
    meetings.approve_minutes(session, actor=xinmin, meeting_id=meeting_id, today=held)
    medical = next(a for a in meetings.open_actions(session, actor=xinmin, meeting_id=meeting_id, today=held)
                   if "医疗" in a["title"])
    meetings.complete_action(session, actor=xinmin, action_id=medical["id"], note="医保局已核实，报销已到账",
                             today=held + timedelta(days=7))
    return meeting_id
