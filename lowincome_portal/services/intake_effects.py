"""What a step does to the registry besides moving the application (the `effect` column of
the track tables in domain/intake.py).

- accept: the application joins the registry - linked to the applicant's household, or a
  new household registered from what the applicant wrote (能提取的不采集: never asked again);
- confirm: the means test on the investigated facts picks the highest category the
  household qualifies for (就高不就低), opens that tag from the decision day, links it to the
  application and schedules its review (复核) or, for 刚性支出困难, its lapse;
- refuse: records the reasons; a household that qualifies for 低保边缘 or 刚性支出困难 is
  moved there without applying again;
- include / exclude: the monitoring tag with its type (防返贫), or the reasons it is not opened;
- reopen: a case sent back for re-investigation needs a new notice.
Each runs inside take_step's transaction through the registry services, which audit.
"""

import json
from datetime import date

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from ..db.tables import Application, HouseholdTag, Member
from ..domain import intake
from ..domain import registry as codes
from ..domain import registry_input as check
from ..domain.errors import ValidationError
from ..domain.permissions import Actor, can
from . import audit, household_records, households
from .means_test import assess_facts
from .parameters import value_on

# Tags an assistance decision can open, and a refusal can move a household to.
ASSISTANCE_TAGS = (codes.TEKUN, codes.DIBAO, codes.RIGID_HARDSHIP, codes.DIBAO_EDGE)
FALLBACK_TAGS = (codes.RIGID_HARDSHIP, codes.DIBAO_EDGE)
MSG_MEMBER_ELSEWHERE = "申请人已是 {place} 一户家庭的在册成员（不在您的管辖范围），请与该乡镇核实后再受理"


def prepare(application: Application, action: str, options: dict) -> None:
    """Take from the user's choices what the guards must see (before they are checked)."""
    if action == "include" and options.get("monitoring_type"):
        application.monitoring_type = check.choice(options["monitoring_type"], "监测对象类型",
                                                   codes.MONITORING_TYPES)
    if action in ("accept", "start_check"):
        if "staff_relative" in options:
            application.staff_relative = check.flag(options["staff_relative"], "近亲属备案")
            application.staff_relative_note = check.text(options.get("staff_relative_note"), "备案说明")
        if "green_channel" in options:
            application.green_channel = check.flag(options["green_channel"], "绿色通道")


def apply(session: Session, actor: Actor, application: Application, effect: str, *, comment: str,
          today: date, options: dict) -> None:
    EFFECTS[effect](session, actor, application, comment=comment, today=today, options=options)


# --- accept -----------------------------------------------------------------------------

def _accept(session: Session, actor: Actor, application: Application, *, today: date, **_) -> None:
    application.accepted_on = today
    if application.household_id is None:
        application.household_id = _household_for(session, actor, application, today)


def _household_for(session: Session, actor: Actor, application: Application, today: date) -> int:
    """The applicant's active household, or a new one registered from the application."""
    found = session.exec(select(Member.household_id).where(
        Member.id_number == application.applicant_id_number, col(Member.active).is_(True))).first()
    if found is not None:
        scope = households.household_scope(session, found)
        if not can(actor, "registry.view", scope):
            raise ValidationError(MSG_MEMBER_ELSEWHERE.format(place=households.place_name(session, scope.area_code)))
        return found
    household_id = households.create_household(
        session, actor=actor, today=today,
        household={"area_code": application.area_code, "address": application.address,
                   "phone": application.applicant_phone},
        head={"id_number": application.applicant_id_number, "name": application.applicant_name})
    for member in json.loads(application.members_json or "[]"):
        households.add_member(session, actor=actor, household_id=household_id, member=member, today=today)
    return household_id


# --- decisions --------------------------------------------------------------------------

def review_date(session: Session, tag: str, start: date, income_unstable: bool = False) -> date | None:
    """When a tag opened on `start` is next reviewed (or, for 刚性支出困难, lapses)."""
    code = {
        codes.DIBAO: "review_months_unstable" if income_unstable else "review_months_dibao",
        codes.TEKUN: "review_months_tekun",
        codes.DIBAO_EDGE: "review_months_dibao",
        codes.RIGID_HARDSHIP: "rigid_hardship_months",
    }.get(tag)
    if code is None:
        return None
    return start + relativedelta(months=int(value_on(session, code, start)))


def _open_tag(session: Session, actor: Actor, application: Application, tag: str, today: date, basis: str,
              subtype: str = "", income_unstable: bool = False) -> None:
    """Open the tag, or - when the household already holds it (a review, 复核) - renew it:
    the period goes on, linked to this decision, with the next review date."""
    held = session.exec(select(HouseholdTag).where(
        HouseholdTag.household_id == application.household_id, HouseholdTag.tag == tag,
        col(HouseholdTag.end_date).is_(None))).first()
    if held is not None:
        old = {"application_id": held.application_id, "review_due_on": held.review_due_on}
        held.application_id = application.id
        held.review_due_on = review_date(session, tag, today, income_unstable)
        session.add(held)
        audit.record(session, actor=actor, action="update", entity="household_tag", entity_id=held.id, old=old,
                     new={"application_id": held.application_id, "review_due_on": held.review_due_on},
                     note=f"复核续期（{application.tracking_no}）")
        return
    tag_id = household_records.add_tag(
        session, actor=actor, household_id=application.household_id, tag=tag, start_date=today,
        decision_ref=application.tracking_no, basis=basis, subtype=subtype)
    row = session.get(HouseholdTag, tag_id)
    row.application_id = application.id
    row.review_due_on = review_date(session, tag, today, income_unstable)
    session.add(row)


def _decide(application: Application, decision: str, tags: list[str], reasons: str, today: date) -> None:
    application.decision = decision
    application.decided_on = today
    application.decision_tags = " ".join(tags)
    application.decision_reasons = reasons


def _confirm(session: Session, actor: Actor, application: Application, *, comment: str, today: date,
             options: dict) -> None:
    assessment = assess_facts(session, application.household_id, today)
    tag = next(t for t in ASSISTANCE_TAGS if t in assessment.qualifies)  # the guard saw one
    reasons = "\n".join([*assessment.reasons, comment]).strip()
    unstable = bool(options.get("income_unstable"))
    _open_tag(session, actor, application, tag, today, reasons, income_unstable=unstable)
    _decide(application, "approved", [tag], reasons, today)


def _refuse(session: Session, actor: Actor, application: Application, *, comment: str, today: date,
            **_) -> None:
    assessment = assess_facts(session, application.household_id, today)
    moved = [t for t in FALLBACK_TAGS if t in assessment.qualifies]
    for tag in moved:
        _open_tag(session, actor, application, tag, today,
                  f"申请{application.tracking_no}经审核不予认定，符合{codes.TAG_LABELS[tag]}条件，直接纳入")
    _decide(application, "refused", moved, comment, today)


def _include(session: Session, actor: Actor, application: Application, *, comment: str, today: date,
             **_) -> None:
    _open_tag(session, actor, application, codes.MONITORING, today, comment or "县级确定纳入监测",
              subtype=application.monitoring_type)
    _decide(application, "approved", [codes.MONITORING], comment, today)


def _exclude(session: Session, actor: Actor, application: Application, *, comment: str, today: date,
             **_) -> None:
    _decide(application, "refused", [], comment, today)


def _reopen(session: Session, actor: Actor, application: Application, **_) -> None:
    """Sent back for re-investigation: the old notice no longer covers what will be found, so
    the case waits for a new one (the step history keeps the old link); its objections stay
    on record and open ones must still be resolved."""
    application.notice_id = None


EFFECTS = {
    "accept": _accept,
    "confirm": _confirm,
    "refuse": _refuse,
    "include": _include,
    "exclude": _exclude,
    "reopen": _reopen,
}

# Every effect the track tables name must exist here (checked at import, not at the first click).
_missing = {t.effect for tr in intake.TRACKS.values() for t in tr.transitions if t.effect} - set(EFFECTS)
if _missing:
    raise RuntimeError(f"intake effects without an implementation: {sorted(_missing)}")
