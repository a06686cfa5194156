"""Demo applications at every stage, so a new county sees the intake at work: two online
applications waiting to be accepted (one overdue), cases in investigation and in notice
with an open objection, one waiting for the county, and a monitoring lead.

Built through the real services with the demo logins and past dates (a case accepted
"ten days ago" has the clock it would have had), so the data obey every rule.
Idempotent: skipped when any application exists.
"""

from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from ..db.tables import Application, User
from ..services import household_records, intake, intake_notice, intake_submit
from ..services.auth import actor_for
from ..services.households import today_in_china
from .households import CHANGLING, FENGHUANG, HONGYAN, demo_id


def _actor(session: Session, username: str):
    return actor_for(session, session.exec(select(User).where(User.username == username)).one())


def _form(name: str, birth: date, seq: int, area: str, address: str, difficulty: str, members=()) -> dict:
    return {"applicant_name": name, "applicant_id_number": demo_id(birth, seq),
            "applicant_phone": f"1352741{seq:04d}", "area_code": area, "address": address,
            "difficulty": difficulty, "consent": True,
            "members": [{"name": n, "id_number": demo_id(b, s), "relation": r} for n, b, s, r in members]}


def _investigate(session, actor, application_id: int, day: date, income: str, medical: str = "0") -> None:
    household_id = session.get(Application, application_id).household_id
    household_records.record_visit(session, actor=actor, household_id=household_id, visited_on=day,
                                   findings="入户核实家庭收入、财产和居住情况", purpose="入户调查")
    household_records.record_economic_status(session, actor=actor, household_id=household_id, recorded_on=day,
                                             source="visit", values={"transfer_income": income,
                                                                     "medical_expense": medical})


def seed_demo_applications(session: Session, today: date | None = None) -> int:
    if session.exec(select(func.count()).select_from(Application)).one():
        return 0
    today = today or today_in_china()
    xinmin, shaping = _actor(session, "xinmin"), _actor(session, "shaping")
    fenghuang = _actor(session, "fenghuang")

    def online(form: dict, key: str, days_ago: int) -> None:
        intake_submit.submit_online(session, form=form, client_key="demo", submission_key=f"demo-{key}",
                                    today=today - timedelta(days=days_ago))

    def station(actor, form: dict, days_ago: int, **kw) -> int:
        return intake_submit.create_at_station(session, actor=actor, form=form, today=today - timedelta(days=days_ago),
                                               **kw)

    def step(actor, app_id: int, action: str, days_ago: int, comment: str = "") -> None:
        intake.take_step(session, actor=actor, application_id=app_id, action=action, comment=comment,
                         today=today - timedelta(days=days_ago))

    online(_form("刘秀英", date(1958, 4, 9), 802, FENGHUANG, "新民镇凤凰村3组16号", "丈夫去年病故，本人患高血压，独居无收入",
                 ), "a", 1)
    online(_form("邓光明", date(1979, 11, 2), 811, CHANGLING, "新民镇长岭村1组5号",
                 "妻子尿毒症透析，两个孩子上学，家中无劳动力外出务工",
                 [("黄丽", date(1981, 6, 3), 822, "spouse"), ("邓小雨", date(2012, 3, 14), 832, "child")]), "b", 9)

    # accepted at the station ten days ago, now in the home investigation
    in_investigation = station(xinmin, _form("罗德华", date(1952, 8, 20), 841, FENGHUANG, "新民镇凤凰村6组9号",
                                             "老两口年老体弱，儿子残疾",
                                             [("陈玉芬", date(1954, 1, 5), 852, "spouse")]), 10)
    step(xinmin, in_investigation, "complete_check", 9, "比对医保、不动产、车辆、工商数据，未见异常")

    # on notice in 凤凰村 with an objection still open
    on_notice = station(xinmin, _form("唐建英", date(1949, 12, 1), 862, FENGHUANG, "新民镇凤凰村2组4号",
                                      "高龄独居，无子女"), 20)
    step(xinmin, on_notice, "complete_check", 19)
    _investigate(session, xinmin, on_notice, today - timedelta(days=16), income="3600", medical="2000")
    step(xinmin, on_notice, "complete_investigation", 16)
    step(xinmin, on_notice, "approve_preliminary", 14, "经初审，符合特困供养条件")
    intake_notice.post_notice(session, actor=xinmin, area_code=FENGHUANG, track="assistance",
                              posted_on=today - timedelta(days=3), contact="新民镇民政办 023-74510000", today=today)
    intake_notice.add_objection(session, actor=xinmin, application_id=on_notice, raised_on=today - timedelta(days=1),
                                raised_by="村民（匿名）", content="反映其侄子每月给予生活费", today=today)

    # notice over, waiting for the county in 沙坪镇红岩村
    waiting = station(shaping, _form("向明珍", date(1966, 5, 30), 872, HONGYAN, "沙坪镇红岩村4组1号",
                                     "本人肢体残疾二级，丈夫外出失联多年",
                                     [("向小军", date(2010, 7, 7), 881, "child")]), 30)
    step(shaping, waiting, "complete_check", 29)
    _investigate(session, shaping, waiting, today - timedelta(days=26), income="6000")
    step(shaping, waiting, "complete_investigation", 26)
    step(shaping, waiting, "approve_preliminary", 24)
    intake_notice.post_notice(session, actor=shaping, area_code=HONGYAN, track="assistance",
                              posted_on=today - timedelta(days=22), contact="沙坪镇民政办 023-74520000", today=today)
    step(shaping, waiting, "end_notice", 14, "公示期满无异议")

    # a monitoring lead found on a village visit
    lead = _form("秦大勇", date(1975, 9, 9), 891, FENGHUANG, "新民镇凤凰村7组2号", "突发车祸住院，自付医疗费用较大")
    station(fenghuang, lead, 2, track="monitoring", options={"monitoring_type": "sudden"})
    return session.exec(select(func.count()).select_from(Application)).one()
