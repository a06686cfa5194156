"""The investigation form (入户调查表): opened pre-filled from the registry, saved as one visit.

The notice's rule is 能提取的不采集 - extract before collecting. The form offers every
economic-status fact the registry already holds (the household's newest EconomicStatus),
says where each value came from, and staff confirm or change it on the visit. Saving writes
a new dated economic status (source 入户调查) and the visit through household_records, so the
investigation is the registry's own record - one visit, one entry, shared by every department.

The burden figure: Application.fields_prefilled / fields_typed. A field is pre-filled when
the registry offered a value and the saved value equals it (compared after the registry's
own checks, so "1,200.00" equals 1200); typed when it was changed or newly entered; a field
with nothing offered and left empty is neither. The baseline is the registry as it stood
before this application's investigation: a re-save (a correction, or after 退回补充调查)
recounts the whole investigation and overwrites the figures, so the fields typed the first
time do not turn into "pre-filled" because the first save put them in the registry.

Who may call: application.investigate inside the application's area (the registry writes
also check registry.edit and visit.record, which every caseworker holds).
"""

import json
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from ..db.tables import Application, AuditEntry, EconomicStatus, Household, Member
from ..db.timeutil import utcnow
from ..domain import intake
from ..domain import registry as codes
from ..domain import registry_input as check
from ..domain.errors import NotFound, ValidationError
from ..domain.idcard import SEX_LABELS, parse_resident_id
from ..domain.masking import mask_id_number, mask_phone
from ..domain.permissions import Actor, Scope, require
from ..domain.registry_input import ECONOMIC_COUNT_FIELDS, ECONOMIC_FLAG_FIELDS, ECONOMIC_MONEY_FIELDS
from . import audit
from .household_records import record_economic_status, record_visit
# One place for how a member reads on a page (labels, age, disability text): the household page's.
from .household_view import _member_dict as registry_member_row
from .household_view import _member_order as registry_member_order

MSG_NO_APPLICATION = "申请不存在"
MSG_NO_HOUSEHOLD = "申请尚未关联家庭档案"
MSG_WRONG_STEP = "当前环节为“{state}”，只有在“{step}”环节才能填写入户调查表"
MSG_BEFORE_ACCEPTED = "入户调查日期 {day} 不能早于受理日期 {accepted}"
MSG_AFTER_TODAY = "入户调查日期 {day} 不能晚于今天"

ACTION = "application.investigate"
VISIT_PURPOSE = "入户调查"
VISIT_SOURCE = "visit"  # domain/registry.ECONOMIC_SOURCES: 入户调查
APPLICATION_SOURCE = "application"

REGISTRY, FROM_APPLICATION, NO_SOURCE = "registry", "application", ""
LABEL_APPLICATION = "申请表"
LABEL_TO_COLLECT = "需采集"
LABEL_REGISTRY = "家庭档案"

MONEY, COUNT, FLAG, CHOICE, MULTI = "money", "count", "flag", "choice", "multi"
YES_NO = {True: "是", False: "否"}

# registry_input.economic_status names these two inline; every other label is its tables'.
HOUSING_SAFETY_LABEL = "住房安全等级"
RISK_POINTS_LABEL = "返贫致贫风险点"

# The sections of the household page's economic form (pages/household/forms.py), in its order.
INCOME, ASSETS, RIGID, LIVING, RISKS = ("近 12 个月收入与就业成本", "财产", "近 12 个月刚性支出",
                                        "生活状况（三保障及饮水安全）", "返贫致贫风险点")


@dataclass(frozen=True)
class FormField:
    """One fact of the form: the EconomicStatus column, its label, kind and (for choices) codes."""

    name: str
    label: str
    kind: str
    group: str
    choices: tuple[tuple[str, str], ...] = ()


def _catalogue() -> tuple[FormField, ...]:
    """Every fact registry_input.economic_status accepts, in the household page's order."""
    def money(*names: str, group: str) -> list[FormField]:
        return [FormField(n, ECONOMIC_MONEY_FIELDS[n], MONEY, group) for n in names]

    fields = (
        *money("wage_income", "business_income", "property_income", "transfer_income", "employment_costs",
               group=INCOME),
        *money("deposits", group=ASSETS),
        *(FormField(n, lb, COUNT, ASSETS) for n, lb in ECONOMIC_COUNT_FIELDS.items()),
        *money("medical_expense", "education_expense", "disability_care_expense", group=RIGID),
        FormField("housing_safety", HOUSING_SAFETY_LABEL, CHOICE, LIVING, tuple(codes.HOUSING_SAFETY.items())),
        *(FormField(n, lb, FLAG, LIVING) for n, lb in ECONOMIC_FLAG_FIELDS.items()),
        FormField("risk_points", RISK_POINTS_LABEL, MULTI, RISKS, tuple(codes.RISK_POINTS.items())),
    )
    # a fact added to registry_input but not here would be silently dropped from the form
    assert {f.name for f in fields} == set(check.economic_status({})), "investigation form out of date"
    return fields


FIELDS = _catalogue()


# --- loading ----------------------------------------------------------------------------

def _application(session: Session, actor: Actor, application_id: int, lock: bool = False) -> Application:
    query = select(Application).where(Application.id == application_id)
    if lock:  # two people saving one form at once: the second waits and recounts
        query = query.with_for_update().execution_options(populate_existing=True)
    app = session.exec(query).first()
    if app is None:
        raise NotFound(MSG_NO_APPLICATION)
    require(actor, ACTION, Scope(area_code=app.area_code))
    if not app.household_id:
        raise ValidationError(MSG_NO_HOUSEHOLD)
    return app


def _own_saves(session: Session, application_id: int) -> dict[int, set[str]]:
    """Economic statuses written by earlier saves of this application's form, each with the
    fields that save counted as typed (read from its audit entries through the
    (entity, entity_id) index)."""
    rows = session.exec(select(AuditEntry.new_values).where(
        AuditEntry.entity == "application", AuditEntry.entity_id == str(application_id),
        AuditEntry.action == "investigate")).all()
    saves: dict[int, set[str]] = {}
    for text in rows:
        try:
            entry = json.loads(text or "{}")
            saves[int(entry["economic_status_id"])] = set(entry.get("typed_fields") or ())
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
    return saves


def _statuses(session: Session, household_id: int) -> list[EconomicStatus]:
    """The household's statuses, newest first (recorded_on, then id) - the registry's order."""
    return list(session.exec(select(EconomicStatus).where(EconomicStatus.household_id == household_id)
                             .order_by(col(EconomicStatus.recorded_on).desc(), col(EconomicStatus.id).desc())))


def _baseline(statuses: list[EconomicStatus], own: dict[int, set[str]]) -> EconomicStatus | None:
    """What the registry knew before this investigation: the newest status not saved by it."""
    return next((s for s in statuses if s.id not in own), None)


# --- the form ---------------------------------------------------------------------------

def _source(status: EconomicStatus | None, own: dict[int, set[str]]) -> tuple[str, str]:
    if status is None:
        return NO_SOURCE, LABEL_TO_COLLECT
    day = status.recorded_on.isoformat()
    if status.id in own:
        return REGISTRY, f"本次入户调查 {day} 已保存"
    if status.source == APPLICATION_SOURCE:
        return FROM_APPLICATION, f"{LABEL_APPLICATION}（{day} 申报）"
    return REGISTRY, f"{LABEL_REGISTRY} {day}（{codes.label(codes.ECONOMIC_SOURCES, status.source)}）"


def _form_value(field: FormField, status: EconomicStatus | None):
    """The value as the form holds it: text (codes for choices, space-delimited for risk
    points), or bool for a flag; "" (None for a flag) when nothing is known."""
    if status is None:
        return None if field.kind == FLAG else ""
    value = getattr(status, field.name)
    if field.kind == MONEY:
        return str(check.money(value, field.label))
    if field.kind == FLAG:
        return bool(value)
    return str(value or "")


def _value_label(field: FormField, status: EconomicStatus | None, value) -> str:
    """The value as a person reads it (是/否, the choice's label, 因病、因学 ...)."""
    if status is None:
        return ""
    if field.kind == FLAG:
        return YES_NO[bool(value)]
    if field.kind in (CHOICE, MULTI):
        return "、".join(codes.label(dict(field.choices), c) for c in value.split()) or "无"
    return value


def _field_dict(field: FormField, status: EconomicStatus | None, own: dict[int, set[str]]) -> dict:
    source, source_label = _source(status, own)
    value = _form_value(field, status)
    return {"name": field.name, "label": field.label, "kind": field.kind, "group": field.group,
            "value": value, "value_label": _value_label(field, status, value),
            "choices": [{"value": c, "label": lb} for c, lb in field.choices if c],
            "source": source, "source_label": source_label}


def _sourced(value: str, fallback: str) -> dict:
    """A household fact for confirmation: the registry's value, else what the application said."""
    if value:
        return {"value": value, "source": REGISTRY, "source_label": LABEL_REGISTRY}
    if fallback:
        return {"value": fallback, "source": FROM_APPLICATION, "source_label": LABEL_APPLICATION}
    return {"value": "", "source": NO_SOURCE, "source_label": LABEL_TO_COLLECT}


def _listed_members(app: Application) -> list[dict]:
    """The members as the applicant listed them (members_json): a list of dicts, or
    {"members": [...]}; anything else reads as none (the registry is what counts)."""
    try:
        data = json.loads(app.members_json) if app.members_json.strip() else []
    except ValueError:
        return []
    if isinstance(data, dict):
        data = data.get("members", [])
    return [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []


def _application_member_row(item: dict, today: date) -> dict:
    """A person the application lists but the registry does not hold, in the registry row's shape."""
    number = str(item.get("id_number") or "").strip().upper()
    try:
        resident = parse_resident_id(number, today=today)
        age, sex = resident.age_on(today), SEX_LABELS[resident.sex]
    except ValidationError:
        age, sex = None, codes.label(SEX_LABELS, str(item.get("sex") or ""))
    text = {k: str(item.get(k) or "") for k in ("labour_capacity", "health", "disability_type",
                                                 "employment", "schooling")}
    return {
        "id": None, "name": str(item.get("name") or "").strip(), "id_number": mask_id_number(number),
        "sex": sex, "age": age, "relation": codes.label(codes.RELATIONS, str(item.get("relation") or "")),
        "is_head": False,
        "labour_capacity": codes.label(codes.LABOUR_CAPACITY, text["labour_capacity"]) or "—",
        "health": codes.label(codes.HEALTH, text["health"]) or "—",
        "disability": codes.label(codes.DISABILITY_TYPES, text["disability_type"]) or "无",
        "employment": codes.label(codes.EMPLOYMENT, text["employment"]) or "—",
        "schooling": codes.label(codes.SCHOOLING, text["schooling"]) or "—",
        "in_school": "—", "medical_insurance": "—", "has_supporter": "—",
        "active": True, "status": "未登记", "left_on": "", "left_reason": "",
        "source": FROM_APPLICATION, "source_label": LABEL_APPLICATION,
    }


def _members(session: Session, app: Application, today: date) -> list[dict]:
    registry = sorted(session.exec(select(Member).where(Member.household_id == app.household_id,
                                                        col(Member.active).is_(True))).all(),
                      key=registry_member_order)
    rows = [registry_member_row(m, today) | {"source": REGISTRY, "source_label": LABEL_REGISTRY}
            for m in registry]
    known_ids = {m.id_number.upper() for m in registry}
    known_names = {m.name for m in registry}
    for item in _listed_members(app):
        number = str(item.get("id_number") or "").strip().upper()
        if (number and number in known_ids) or (not number and str(item.get("name") or "").strip() in known_names):
            continue
        rows.append(_application_member_row(item, today))
    return rows


def investigation_form(session: Session, *, actor: Actor, application_id: int, today: date) -> dict:
    """The investigation form pre-filled from the registry, as plain dicts for a page:
    fields (one per economic-status fact, with value and source), household (address and
    phone to confirm), members (registry members, then people only the application lists),
    visit defaults and the application's heading. Changes nothing.
    Who: application.investigate inside the application's area."""
    app = _application(session, actor, application_id)
    household = session.get(Household, app.household_id)
    if household is None:
        raise ValidationError(MSG_NO_HOUSEHOLD)
    statuses = _statuses(session, household.id)
    own = _own_saves(session, app.id)
    shown = statuses[0] if statuses else None
    editable = app.state == intake.INVESTIGATION_STATES.get(app.track)
    return {
        "application": {
            "id": app.id, "tracking_no": app.tracking_no, "applicant_name": app.applicant_name,
            "track": app.track, "track_label": intake.TRACK_LABELS.get(app.track, app.track),
            "state": app.state, "step_label": intake.state_label(app.track, app.state),
            "due_on": app.due_on.isoformat() if app.due_on else "", "editable": editable,
            "fields_prefilled": app.fields_prefilled, "fields_typed": app.fields_typed,
        },
        "household": {
            "id": household.id, "head_name": household.head_name, "area_code": household.area_code,
            "address": _sourced(household.address, app.address),
            "phone": _sourced(mask_phone(household.phone), mask_phone(app.applicant_phone)),
        },
        "fields": [_field_dict(f, shown, own) for f in FIELDS],
        "members": _members(session, app, today),
        "visit": {"visited_on": today.isoformat(), "visitor": actor.display_name, "purpose": VISIT_PURPOSE},
    }


# --- saving -----------------------------------------------------------------------------

def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return not value
    return isinstance(value, str) and not value.strip()


def _merged(values: dict, shown: EconomicStatus | None) -> dict:
    """What is saved: each submitted value; a field not submitted (or a blank yes/no or
    choice, which is no answer) keeps what the form showed, else the registry's default."""
    out = {}
    for f in FIELDS:
        given = values.get(f.name)
        if f.name in values and not (f.kind in (FLAG, CHOICE) and _blank(given)):
            out[f.name] = given
        elif shown is not None:
            out[f.name] = getattr(shown, f.name)
    return out


def _same(field: FormField, saved, offered) -> bool:
    """Equal as the registry stores them (risk points in any order)."""
    if field.kind == MULTI:
        return set(str(saved or "").split()) == set(str(offered or "").split())
    return saved == offered


def count_fields(values: dict, facts: dict, statuses: list[EconomicStatus], own: dict[int, set[str]]
                 ) -> tuple[int, list[str]]:
    """(pre-filled count, names of typed fields) for a save whose checked values are `facts`.

    Against the registry before this investigation (the newest status no earlier save of it
    wrote): equal is pre-filled, different is typed. With nothing there before, a field is
    typed when a value was entered - and a value kept unchanged from an earlier save of this
    form keeps the count that save gave it, so re-saving never moves a field between
    typed and neither."""
    baseline = _baseline(statuses, own)
    shown = statuses[0] if statuses else None
    earlier = own.get(shown.id) if shown is not None else None
    prefilled, typed = 0, []
    for f in FIELDS:
        if baseline is not None:
            if _same(f, facts[f.name], getattr(baseline, f.name)):
                prefilled += 1
            else:
                typed.append(f.name)
        elif earlier is not None and _same(f, facts[f.name], getattr(shown, f.name)):
            if f.name in earlier:
                typed.append(f.name)
        elif not _blank(values.get(f.name)):
            typed.append(f.name)
    return prefilled, typed


def _visit_day(visited_on, app: Application, today: date) -> date:
    day = check.a_date(visited_on, "走访日期")
    if day > today:
        raise ValidationError(MSG_AFTER_TODAY.format(day=day))
    if app.accepted_on and day < app.accepted_on:
        raise ValidationError(MSG_BEFORE_ACCEPTED.format(day=day, accepted=app.accepted_on))
    return day


def save_investigation(session: Session, *, actor: Actor, application_id: int, values: dict, visited_on,
                       findings: str, today: date) -> dict:
    """Save the investigation form in the caller's unit of work: a new economic status
    (source 入户调查, dated the visit day), the visit (purpose 入户调查), the application's
    fields_prefilled / fields_typed (recounted against the registry as it stood before this
    investigation) and an audit entry. Refuses, changing nothing: outside the investigation
    step, no linked household, a visit day in the future or before acceptance, and any value
    the registry's checks refuse (their Chinese message).
    Returns {"prefilled", "typed", "economic_status_id", "visit_id"}.
    Who: application.investigate inside the application's area."""
    app = _application(session, actor, application_id, lock=True)
    step = intake.INVESTIGATION_STATES.get(app.track)
    if app.state != step:
        raise ValidationError(MSG_WRONG_STEP.format(state=intake.state_label(app.track, app.state),
                                                    step=intake.state_label(app.track, step or "")))
    values = values or {}
    day = _visit_day(visited_on, app, today)
    check.text(findings, "走访情况", required=True, max_length=5000)  # refuse before writing anything
    statuses = _statuses(session, app.household_id)
    own = _own_saves(session, app.id)
    merged = _merged(values, statuses[0] if statuses else None)
    facts = check.economic_status(merged)  # the registry's checks and messages
    prefilled, typed_names = count_fields(values, facts, statuses, own)
    typed = len(typed_names)
    labels = {f.name: f.label for f in FIELDS}

    status_id = record_economic_status(session, actor=actor, household_id=app.household_id, values=merged,
                                       recorded_on=day, source=VISIT_SOURCE)
    visit_id = record_visit(session, actor=actor, household_id=app.household_id, visited_on=day,
                            findings=findings, purpose=VISIT_PURPOSE,
                            changed_fields=[labels[n] for n in typed_names])
    old = {"fields_prefilled": app.fields_prefilled, "fields_typed": app.fields_typed}
    app.fields_prefilled, app.fields_typed, app.updated_at = prefilled, typed, utcnow()
    session.add(app)
    audit.record(session, actor=actor, action="investigate", entity="application", entity_id=app.id, old=old,
                 new={"fields_prefilled": prefilled, "fields_typed": typed, "typed_fields": typed_names,
                      "economic_status_id": status_id, "visit_id": visit_id, "visited_on": day})
    return {"prefilled": prefilled, "typed": typed, "economic_status_id": status_id, "visit_id": visit_id}
