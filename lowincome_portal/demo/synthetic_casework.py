"""The synthetic history's referrals, joint meetings and visits (demo/synthetic_history.py
runs them after the applications and warnings, in its transaction, from its draws).

Referrals follow services/referrals: dispatched to the pool (60%) or assigned to a unit;
a pooled one is claimed (usually within days) by an active organisation offering the kind
in the household's place, an assigned one may say it has started (服务中); most are
completed with an amount. The deadlines are the ones dispatch and claim set, and every step
is a referral_event, so the report rebuilds the same deadlines from the events.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from ..db.tables import ActionItem, AgendaItem, Area, Meeting, Need, Organisation, Referral, ReferralEvent, Visit
from ..domain import areas as area_rules
from ..domain import referrals as referral_rules
from ..domain import reporting
from .synthetic_history import Run, stamp

NEEDS = {
    "dibao_allowance": "家庭收入低于保障标准，需纳入低保", "tekun_support": "无劳动能力、无生活来源，需特困供养",
    "temporary": "突发困难，基本生活暂时难以为继", "medical": "住院自付费用高，需医疗救助",
    "education": "子女上学费用负担重，需教育资助", "housing": "住房存在安全隐患，需危房改造",
    "employment": "有劳动能力但无稳定工作，需就业帮扶", "disability_subsidy": "重度残疾，需残疾人两项补贴",
    "industry": "有发展意愿，需产业帮扶", "charity_aid": "生活困难，需慈善救助",
    "social_service": "独居老人缺乏照料，需上门照料服务",
}
OUTCOMES = ("已发放救助金并告知家庭", "已上门提供服务，家庭表示满意", "已按规定办理，资金已打卡发放")
PURPOSES = (("定期走访", 50), ("监测回访", 25), ("入户核查", 15), ("节日慰问", 10))
FINDINGS = ("家庭情况无明显变化", "户主身体状况好转", "子女外出务工，收入有所增加", "老人需要日常照料",
            "家中有学生就读，支出较大", "")
DUPLICATE_REASON = "同月再次发生困难，经县级协调人员同意再次转介"


def _organisations(run: Run) -> list:
    return run.conn.execute(sa.select(Organisation.id, Organisation.assistance_kinds, Organisation.areas_served)
                            .where(Organisation.active).order_by(Organisation.name)).all()


def add_referrals(run: Run, count: int) -> dict:
    """Needs and the referrals that carry them, with their events."""
    rng, texts, today, deadlines = run.rng, run.texts, run.today, run.deadlines
    orgs = _organisations(run)
    # only kinds somebody offers: the service refuses to pool a kind nobody can claim
    kinds = [k for k in referral_rules.ASSISTANCE_KINDS if any(referral_rules.offers(o[1], k) for o in orgs)]
    if not kinds or not run.homes:
        return {"referrals": 0, "referral_events": 0}
    first_need, first_ref = run.next_id(Need.__table__), run.next_id(Referral.__table__)
    given = set(run.conn.execute(sa.select(Referral.household_id, Referral.kind, Referral.period)).all())
    needs, refs, events = [], [], []
    for i in range(count):
        h = run.home()
        sent = run.day(rng.integers(0, run.span))
        kind = kinds[int(rng.integers(len(kinds)))]
        pool = rng.random() < 0.6
        # the day the holder took it up: the claim of a pooled item, the start of an assigned one
        taken = sent + timedelta(days=int(rng.integers(0, 6))) if rng.random() < 0.9 else None
        taken = taken if taken and taken < today else None
        completed = (taken or sent) + timedelta(days=int(rng.integers(2, 30))) if taken or not pool else None
        completed = completed if completed and completed < today and rng.random() < 0.85 else None
        org = None
        if taken or not pool:
            fit = [o[0] for o in orgs if referral_rules.matches(o[1], o[2], kind, h.area)] or \
                [o[0] for o in orgs if referral_rules.offers(o[1], kind)]
            # one draw over every organisation, as the benchmarks always made (a draw over a single
            # candidate would take nothing from the generator and shift every later draw)
            org = fit[int(rng.integers(len(orgs))) % len(fit)]
        amount = round(float(rng.uniform(200, 5000)), 2) if completed else None
        claimed = taken if pool else None
        claim_due = deadlines.working("referral_claim_days", sent) if pool else None
        clock_from = claimed or claim_due or sent
        if pool:
            status = "completed" if completed else ("claimed" if claimed else "pooled")
        else:
            status = "completed" if completed else ("in_service" if taken else "assigned")
        period = referral_rules.period_of(sent)
        duplicate = (h.id, kind, period) in given
        given.add((h.id, kind, period))
        ref_id, need_id = first_ref + i, first_need + i
        needs.append({"id": need_id, "household_id": h.id, "area_code": h.area, "kind": kind,
                      "description": NEEDS.get(kind, referral_rules.kind_label(kind)), "amount": None,
                      "urgency": "normal", "source": texts.choice(("visit", "visit", "investigation", "meeting")),
                      "source_ref": "", "status": "met" if completed else "referred", "recorded_on": sent,
                      "recorded_by": None, "closed_reason": "", "created_at": stamp(sent)})
        steps = [("dispatch", "pooled" if pool else "assigned", None if pool else org, sent)]
        if taken:
            steps.append(("claim", "claimed", org, taken) if pool else ("start", "in_service", org, taken))
        if completed:
            steps.append(("complete", "completed", org, completed))
        outcome = texts.choice(OUTCOMES) if completed else ""
        refs.append({"id": ref_id, "need_id": need_id, "household_id": h.id, "area_code": h.area, "kind": kind,
                     "period": period, "mode": "pool" if pool else "assigned", "status": status,
                     "organisation_id": org, "urgency": "normal", "claim_due_on": claim_due,
                     "delivery_due_on": deadlines.working("referral_delivery_days", clock_from),
                     "claimed_on": claimed, "claimed_by": None,
                     "duplicate_justification": DUPLICATE_REASON if duplicate else "", "higher_benefit_note": "",
                     "outcome": outcome, "amount": amount, "delivered_on": completed, "attachments": "",
                     "completed_on": completed, "return_reason": "", "created_by": None,
                     "created_at": stamp(sent), "updated_at": stamp(steps[-1][3]), "version": len(steps)})
        events += [{"referral_id": ref_id, "action": a, "status": s, "organisation_id": o, "user_id": None,
                    "actor_name": "乡镇经办人" if a == "dispatch" else "承办单位经办人",
                    "comment": outcome if a == "complete" else "", "on_day": d, "at": stamp(d)}
                   for a, s, o, d in steps]
    for table, rows in ((Need, needs), (Referral, refs), (ReferralEvent, events)):
        if rows:
            run.conn.execute(sa.insert(table.__table__), rows)
    return {"referrals": len(refs), "referral_events": len(events)}


def _meeting_areas(run: Run) -> tuple[list[str], dict[str, str]]:
    """The counties, then the townships, that hold households of the run (by code), and all names."""
    rows = run.conn.execute(sa.select(Area.code, Area.name, Area.level)
                            .where(Area.level.in_((area_rules.COUNTY, area_rules.TOWNSHIP)))
                            .order_by(Area.code)).all()
    prefixes = {h.area[:9] for h in run.homes}
    counties = {p[:6] for p in prefixes}
    chosen = [c for c, _, level in rows if level == area_rules.COUNTY and c[:6] in counties] + \
        [c for c, _, level in rows if level == area_rules.TOWNSHIP and c[:9] in prefixes]
    return chosen, {c: n for c, n, _ in rows}


def add_meetings(run: Run) -> dict:
    """One held joint meeting per area and month (those not there yet), four decided agenda
    items - two action items with a deadline, two approvals - each."""
    rng, texts, today = run.rng, run.texts, run.today
    months, m = [], run.start
    while m <= today:
        months.append(m)
        m = reporting.month_window(m).last + timedelta(days=1)
    first_meeting, first_item = run.next_id(Meeting.__table__), run.next_id(AgendaItem.__table__)
    existing = set(run.conn.execute(sa.select(Meeting.area_code, Meeting.month)).all())
    areas, names = _meeting_areas(run)
    homes_in: dict[str, list] = {}
    for h in run.homes:
        homes_in.setdefault(h.area[:9], []).append(h)
        homes_in.setdefault(h.area[:6], []).append(h)
    meetings, items, actions = [], [], []
    for month in months:
        for area in areas:
            if (area, month) in existing:
                continue
            held = month + timedelta(days=int(rng.integers(10, 26)))
            if held >= today:
                continue
            mid = first_meeting + len(meetings)
            meetings.append({"id": mid, "area_code": area, "month": month, "planned_on": held, "held_on": held,
                             "place": f"{names.get(area, '')}会议室", "chair_name": run.person(), "status": "held",
                             "approved_on": None, "approved_by": None, "created_by": None,
                             "created_at": stamp(held), "version": 1})
            local = homes_in[area_rules.significant_prefix(area)]
            for k in range(4):
                iid = first_item + len(items)
                home = local[texts.randrange(len(local))] if k < 2 else None
                items.append({"id": iid, "meeting_id": mid, "position": k, "kind": "other",
                              "title": f"研究{home.head_name}户困难帮扶措施" if home else "审议本月救助申请初审意见",
                              "detail": "", "household_id": home.id if home else None, "application_id": None,
                              "action_item_id": None, "hard_case_id": None, "dropped": False, "discussion": "",
                              "decision": "assign" if k < 2 else "approve", "responsible_org_id": None,
                              "responsible_user_id": None, "deadline": held + timedelta(days=20) if k < 2 else None})
                if k < 2:
                    done = held + timedelta(days=int(rng.integers(3, 40)))
                    actions.append({"meeting_id": mid, "agenda_item_id": iid, "area_code": area,
                                    "household_id": home.id, "title": f"落实{home.head_name}户帮扶措施",
                                    "decision": "assign", "responsible_org_id": None, "responsible_user_id": None,
                                    "deadline": held + timedelta(days=20), "status": "done" if done < today else "open",
                                    "done_on": done if done < today else None,
                                    "done_note": "已落实" if done < today else "", "created_at": stamp(held)})
    for table, rows in ((Meeting, meetings), (AgendaItem, items), (ActionItem, actions)):
        if rows:
            run.conn.execute(sa.insert(table.__table__), rows)
    return {"meetings": len(meetings), "agenda_items": len(items), "action_items": len(actions)}


def _purpose(run: Run) -> str:
    r = run.texts.random() * sum(w for _, w in PURPOSES)
    for purpose, weight in PURPOSES:
        r -= weight
        if r < 0:
            return purpose
    return PURPOSES[0][0]


def add_visits(run: Run, count: int) -> int:
    rows = []
    for _ in range(count if run.homes else 0):
        h = run.home()
        on: date = run.day(run.rng.integers(0, run.span))
        rows.append({"household_id": h.id, "visited_on": on, "visitor_user_id": None,
                     "visitor_name": run.person(), "purpose": _purpose(run), "findings": run.texts.choice(FINDINGS),
                     "changed_fields": "", "created_at": stamp(on)})
    if rows:
        run.conn.execute(sa.insert(Visit.__table__), rows)
    return len(rows)
