"""Demo needs and referrals: one delivered by the charity last month, one claimed and in
service, one waiting in the pool, one assigned to the medical insurance bureau, and one need
nobody has answered for weeks (so the 不漏 list has something to show).
Built through the real services with the demo logins and past dates. Idempotent: skipped
when any need exists.
"""

from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..db.tables import Household, Need, Organisation, User
from ..services import referrals
from ..services.auth import actor_for
from ..services.households import today_in_china
from .households import FENGHUANG


def _actor(session: Session, username: str):
    return actor_for(session, session.exec(select(User).where(User.username == username)).one())


def seed_demo_referrals(session: Session, today: date | None = None) -> int:
    if session.exec(select(func.count()).select_from(Need)).one():
        return 0
    today = today or today_in_china()
    xinmin, cishan = _actor(session, "xinmin"), _actor(session, "cishan")
    medical = session.exec(select(Organisation.id).where(Organisation.name == "垫江县医疗保障局")).one()
    homes = session.exec(select(Household.id).where(Household.area_code == FENGHUANG, Household.status == "active")
                         .order_by(col(Household.id)).limit(5)).all()
    if len(homes) < 5:
        return 0

    def need(household_id, kind, text, days_ago, amount=None, urgency="normal"):
        return referrals.record_need(session, actor=xinmin, household_id=household_id, kind=kind, description=text,
                                     amount=amount, urgency=urgency, source="visit",
                                     today=today - timedelta(days=days_ago))

    def pooled(need_id, days_ago):
        return referrals.dispatch(session, actor=xinmin, need_id=need_id, mode="pool",
                                  today=today - timedelta(days=days_ago))

    delivered = pooled(need(homes[0], "charity_aid", "冬季棉被和取暖器", 40, "600"), 39)
    referrals.claim(session, actor=cishan, referral_id=delivered, today=today - timedelta(days=38))
    referrals.start_service(session, actor=cishan, referral_id=delivered, today=today - timedelta(days=37))
    referrals.complete(session, actor=cishan, referral_id=delivered, outcome="送去棉被两床、取暖器一台",
                       amount="560", delivered_on=today - timedelta(days=35), attachments="签收单.jpg",
                       today=today - timedelta(days=35))
    in_service = pooled(need(homes[1], "education", "孙女初中住宿费和生活费", 6, "1200"), 5)
    referrals.claim(session, actor=cishan, referral_id=in_service, today=today - timedelta(days=4))
    referrals.start_service(session, actor=cishan, referral_id=in_service, today=today - timedelta(days=4))
    pooled(need(homes[2], "temporary", "房屋漏雨，急需临时修缮和生活救助", 1, "1500", urgency="urgent"), 1)
    referrals.dispatch(session, actor=xinmin, need_id=need(homes[3], "medical", "住院自付费用较大，申请医疗救助", 3, "8000"),
                       mode="assigned", organisation_id=medical, today=today - timedelta(days=3))
    need(homes[4], "social_service", "独居老人需要定期探访和心理疏导", 20)
    return session.exec(select(func.count()).select_from(Need)).one()
