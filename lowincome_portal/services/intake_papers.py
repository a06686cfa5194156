"""The intake's papers from the database: a village's notice (公示), its results disclosure
(公开), a refusal letter (不予认定通知书), and the notice board the staff page reads.

services/intake_documents.py draws the PDFs from plain dicts and decides what is private;
this module fills those dicts from the tables and checks who may print. Reading only,
except that every document produced writes an audit entry "export": a printed notice
carries names and members of households, and the trail must say who took one out.

Which office signs (one place, `_issuer`): the assistance notice is issued by the township
government that made the preliminary review; the monitoring track's notice follows the
village's democratic appraisal, so the village committee signs it; results and refusals are
the county department's decisions (民政局 for assistance, 农业农村委员会 for monitoring).
"""

from collections import defaultdict
from datetime import date

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from ..db.tables import Application, Household, Member, Objection, PublicNotice
from ..db.timeutil import CHINA, as_utc
from ..domain import areas, intake
from ..domain.errors import NotFound, ValidationError
from ..domain.permissions import Actor, Scope, require
from ..domain.registry import MONITORING_TYPES, TAG_LABELS
from . import audit
from .areas import area_names
from .intake import load
from .intake_documents import committee_name, disclosure_pdf, notice_pdf, refusal_notice_pdf
from .means_test import assess_facts
from .parameters import MissingParameter

MSG_NO_NOTICE = "公示记录不存在"
MSG_NOT_NOTICE = "该记录是结果公开，不是公示"
MSG_NOT_DISCLOSURE = "该记录是公示，不是结果公开"
MSG_NOT_REFUSED = "该申请未作出不予认定（不予纳入）决定，不能生成不予认定通知书"
NOTICE_STATUS = {False: "公示中", True: "已期满"}
# The board shows this many posted notices and disclosures (most recent first).
BOARD_LIMIT = 50
_DEPARTMENT = {intake.ASSISTANCE: "民政局", intake.MONITORING: "农业农村委员会"}


# --- names and issuers --------------------------------------------------------------------

def _places(session: Session, village_code: str) -> dict[str, str]:
    """County, township and village names of a village code."""
    township = areas.parent_code(village_code)
    county = areas.parent_code(township)
    names = area_names(session, {village_code, township, county})
    return {"county": names.get(county, ""), "township": names.get(township, ""),
            "village": names.get(village_code, "")}


def _issuer(places: dict[str, str], track: str, paper: str) -> str:
    if paper == "notice":
        return (f"{places['township']}人民政府" if track == intake.ASSISTANCE
                else committee_name(places["village"]))
    return f"{places['county']}{_DEPARTMENT[track]}"


def _monitoring_label(monitoring_type: str) -> str:
    kind = MONITORING_TYPES.get(monitoring_type)
    return f"{TAG_LABELS['monitoring']}（{kind}）" if kind else TAG_LABELS["monitoring"]


def _tag_labels(application: Application) -> list[str]:
    labels = []
    for tag in application.decision_tags.split():
        if tag == "monitoring":
            labels.append(_monitoring_label(application.monitoring_type))
        else:
            labels.append(TAG_LABELS.get(tag, tag))
    return labels


# --- rows -----------------------------------------------------------------------------------

def _members(session: Session, application: Application) -> tuple[int, list[dict]]:
    """(member count, the members other than the applicant) from the household's active
    members - name and birth date only, so nothing else private reaches the document."""
    if application.household_id is None:
        return 1, []
    rows = session.exec(select(Member).where(Member.household_id == application.household_id,
                                             col(Member.active).is_(True)).order_by(col(Member.id))).all()
    others = [{"name": m.name, "birth_date": m.birth_date} for m in rows
              if m.id_number != application.applicant_id_number]
    return max(len(rows), 1), others


def _proposal(session: Session, application: Application, on: date) -> tuple[str, object]:
    """(proposed category label, per-capita monthly income) from the means test on the
    investigated facts as of the posting day. A household the test cannot assess (nobody
    left in it, a policy number missing) prints "—" rather than stopping the village's notice."""
    try:
        assessment = assess_facts(session, application.household_id, on) if application.household_id else None
    except (ValidationError, MissingParameter):
        assessment = None
    income = assessment.per_capita_monthly_income if assessment else None
    if application.track == intake.MONITORING:
        return _monitoring_label(application.monitoring_type), income
    if assessment is None or assessment.recommended is None:
        return "—", income
    return TAG_LABELS[assessment.recommended], income


def _applications(session: Session, column, notice_id: int) -> list[Application]:
    return list(session.exec(select(Application).where(column == notice_id).order_by(col(Application.id))).all())


def _posting(session: Session, actor: Actor, notice_id: int, kind: str) -> PublicNotice:
    notice = session.get(PublicNotice, notice_id)
    if notice is None:
        raise NotFound(MSG_NO_NOTICE)
    require(actor, "application.notice", Scope(area_code=notice.area_code))
    if notice.kind != kind:
        raise ValidationError(MSG_NOT_NOTICE if kind == "notice" else MSG_NOT_DISCLOSURE)
    return notice


def _export(session: Session, actor: Actor, entity: str, entity_id: int, document: str, numbers: list[str]):
    audit.record(session, actor=actor, action="export", entity=entity, entity_id=entity_id,
                 new={"document": document, "applications": numbers})


# --- the three documents --------------------------------------------------------------------

def notice_document(session: Session, *, actor: Actor, notice_id: int) -> tuple[str, bytes]:
    """(file name, PDF) of a posted 公示, as it was on its posting day. Writes an audit
    "export" entry. Who: application.notice in the notice's village."""
    notice = _posting(session, actor, notice_id, "notice")
    places = _places(session, notice.area_code)
    rows = []
    apps = _applications(session, Application.notice_id, notice.id)
    for application in apps:
        count, members = _members(session, application)
        category, income = _proposal(session, application, notice.posted_on)
        household = session.get(Household, application.household_id) if application.household_id else None
        # The phones are never printed: notice_pdf reads them only to refuse a contact line
        # that holds the household's own number (objections go to an office).
        rows.append({"applicant_name": application.applicant_name,
                     "applicant_id_number": application.applicant_id_number,
                     "applicant_phone": application.applicant_phone, "phone": household.phone if household else "",
                     "member_count": count, "members": members, "categories": category,
                     "per_capita_monthly_income": income})
    pdf = notice_pdf({**places, "track": notice.track, "posted_on": notice.posted_on, "ends_on": notice.ends_on,
                      "contact": notice.contact, "issued_by": _issuer(places, notice.track, "notice"),
                      "rows": rows})
    _export(session, actor, "public_notice", notice.id, "notice", [a.tracking_no for a in apps])
    return f"{places['village']}公示_{notice.posted_on.isoformat()}.pdf", pdf


def disclosure_document(session: Session, *, actor: Actor, notice_id: int) -> tuple[str, bytes]:
    """(file name, PDF) of a results 公开: the approved applications it covers, with their
    categories and decision day as start. Writes an audit "export" entry.
    Who: application.notice in the village."""
    notice = _posting(session, actor, notice_id, "disclosure")
    places = _places(session, notice.area_code)
    apps = _applications(session, Application.disclosure_id, notice.id)
    rows = [{"applicant_name": a.applicant_name, "applicant_id_number": a.applicant_id_number,
             "member_count": _members(session, a)[0], "categories": _tag_labels(a), "start_on": a.decided_on}
            for a in apps]
    # post_disclosure records one day; a longer period prints as such.
    ends_on = notice.ends_on if notice.ends_on != notice.posted_on else None
    pdf = disclosure_pdf({**places, "track": notice.track, "posted_on": notice.posted_on, "ends_on": ends_on,
                          "contact": notice.contact, "issued_by": _issuer(places, notice.track, "disclosure"),
                          "rows": rows})
    _export(session, actor, "public_notice", notice.id, "disclosure", [a.tracking_no for a in apps])
    return f"{places['village']}结果公开_{notice.posted_on.isoformat()}.pdf", pdf


def refusal_letter(session: Session, *, actor: Actor, application_id: int) -> tuple[str, bytes]:
    """(file name, PDF) of the 不予认定（不予纳入）通知书 of a refused application: the reasons
    recorded with the decision and any category the household was moved to instead.
    Writes an audit "export" entry. Who: application.view in the application's village."""
    application = load(session, actor, application_id, "application.view")
    if application.decision != "refused" or application.decided_on is None:
        raise ValidationError(MSG_NOT_REFUSED)
    places = _places(session, application.area_code)
    # The day the application was made: its entry (China time), or the acceptance day when
    # that is earlier - an imported or back-entered case was made before it was typed in.
    applied_on = as_utc(application.created_at).astimezone(CHINA).date()
    if application.accepted_on and application.accepted_on < applied_on:
        applied_on = application.accepted_on
    pdf = refusal_notice_pdf({
        "county": places["county"], "track": application.track, "tracking_no": application.tracking_no,
        "applicant_name": application.applicant_name, "applied_on": applied_on,
        "decided_on": application.decided_on, "reasons": application.decision_reasons,
        "moved_to": _tag_labels(application), "issued_by": _issuer(places, application.track, "refusal")})
    _export(session, actor, "application", application.id, "refusal", [application.tracking_no])
    return f"不予认定通知书_{application.tracking_no}.pdf", pdf


# --- the board ------------------------------------------------------------------------------

def _in_area(column, actor: Actor):
    return col(column).startswith(areas.significant_prefix(actor.area_code))


def _brief(a: Application) -> dict:
    return {"id": a.id, "tracking_no": a.tracking_no, "name": a.applicant_name}


def _groups(session: Session, apps: list[Application], extra=None) -> list[dict]:
    """Applications grouped per village and track, villages in code order."""
    grouped: dict[tuple[str, str], list[Application]] = defaultdict(list)
    for a in apps:
        grouped[(a.area_code, a.track)].append(a)
    names = _village_names(session, {code for code, _ in grouped})
    out = []
    for (code, track), items in sorted(grouped.items()):
        group = {"area_code": code, "place": names.get(code, code), "track": track,
                 "track_label": intake.TRACK_LABELS[track], "count": len(items),
                 "applications": [_brief(a) for a in items]}
        if extra:
            group.update(extra(items))
        out.append(group)
    return out


def _village_names(session: Session, codes: set[str]) -> dict[str, str]:
    """“新民镇凤凰村” for each village code (township + village, as the staff say it)."""
    townships = {areas.parent_code(c) for c in codes}
    names = area_names(session, codes | townships)
    return {c: names.get(areas.parent_code(c), "") + names.get(c, c) for c in codes}


def _posted(session: Session, actor: Actor, kind: str, today: date) -> list[dict]:
    notices = session.exec(select(PublicNotice).where(PublicNotice.kind == kind,
                                                      _in_area(PublicNotice.area_code, actor))
                           .order_by(col(PublicNotice.posted_on).desc(), col(PublicNotice.id).desc())
                           .limit(BOARD_LIMIT)).all()
    if not notices:
        return []
    ids = [n.id for n in notices]
    link = Application.notice_id if kind == "notice" else Application.disclosure_id
    counts = dict(session.exec(select(link, func.count()).where(col(link).in_(ids)).group_by(link)).all())
    open_objections = dict(session.exec(
        select(Application.notice_id, func.count()).join(Objection, Objection.application_id == Application.id)
        .where(col(Application.notice_id).in_(ids), col(Objection.resolved_on).is_(None))
        .group_by(Application.notice_id)).all()) if kind == "notice" else {}
    names = _village_names(session, {n.area_code for n in notices})
    rows = []
    for n in notices:
        over = today > n.ends_on
        rows.append({"id": n.id, "area_code": n.area_code, "place": names[n.area_code], "track": n.track,
                     "track_label": intake.TRACK_LABELS.get(n.track, n.track),
                     "posted_on": n.posted_on.isoformat(), "ends_on": n.ends_on.isoformat(),
                     "period": f"{n.posted_on.isoformat()} 至 {n.ends_on.isoformat()}",
                     "over": over, "status": NOTICE_STATUS[over], "contact": n.contact,
                     "applications": counts.get(n.id, 0), "open_objections": open_objections.get(n.id, 0)})
    return rows


def notice_board(session: Session, *, actor: Actor, today: date) -> dict:
    """What the 公示公开 page shows for the actor's area: villages with applications waiting
    for a notice, notices posted (most recent first), villages with approved results not yet
    disclosed, and the disclosures posted. Reads only; names, never ID numbers.
    Who: application.notice (each row lies inside the actor's area).

    Returns {"waiting": [group + {"earliest": "YYYY-MM-DD"}], "posted": [notice],
             "undisclosed": [group], "disclosures": [notice]} where
    group = {"area_code", "place", "track", "track_label", "count",
             "applications": [{"id", "tracking_no", "name"}]} and
    notice = {"id", "area_code", "place", "track", "track_label", "posted_on", "ends_on",
              "period", "over", "status", "contact", "applications", "open_objections"}.
    "earliest" is the first day the notice may be posted (post_notice refuses earlier)."""
    require(actor, "application.notice")
    if not actor.area_code:
        return {"waiting": [], "posted": [], "undisclosed": [], "disclosures": []}
    in_notice_step = or_(*((Application.track == t) & (Application.state == s)
                           for t, s in intake.NOTICE_STATES.items()))
    waiting = list(session.exec(select(Application).where(
        _in_area(Application.area_code, actor), col(Application.notice_id).is_(None), in_notice_step)
        .order_by(col(Application.id))).all())
    undisclosed = list(session.exec(select(Application).where(
        _in_area(Application.area_code, actor), Application.decision == "approved",
        col(Application.disclosure_id).is_(None)).order_by(col(Application.id))).all())
    return {
        "waiting": _groups(session, waiting,
                           lambda items: {"earliest": max(a.state_entered_on for a in items).isoformat()}),
        "posted": _posted(session, actor, "notice", today),
        "undisclosed": _groups(session, undisclosed),
        "disclosures": _posted(session, actor, "disclosure", today),
    }
