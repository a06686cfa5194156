"""The joint meeting services on both databases: the agenda drafts itself from the township's
pending work and last month's decisions; the chair edits it; minutes and decisions make
action items; refusals (bad dates, outside units, undecided items, approved minutes, another
township) change nothing; a done action item leaves next month's agenda, open ones stay."""

import itertools
import threading
from datetime import date

import pytest
from sqlmodel import Session, col, func, select

from lowincome_portal.db.tables import (
    ActionItem,
    AgendaItem,
    Application,
    AuditEntry,
    HardCase,
    Meeting,
    MeetingAttendee,
    Need,
    Organisation,
    Referral,
)
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain import meetings as rules
from lowincome_portal.domain import referrals as referral_rules
from lowincome_portal.domain.errors import PermissionDenied, ValidationError
from lowincome_portal.services import households, meetings, referral_views
from tests.idnumbers import make_id

COUNTY = "500231000000"
XINMIN, SHAPING = "500231100000", "500231101000"          # 新民镇, 沙坪镇
FENGHUANG, CHANGLING, TUANJIE = "500231100200", "500231100201", "500231100001"  # 新民镇's villages
HONGYAN = "500231101200"                                  # 沙坪镇红岩村

OCT, NOV, DEC, JAN = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)
NOV_MEETING = date(2026, 11, 20)

_numbers = itertools.count(1)


# --- helpers ----------------------------------------------------------------------------------

def units(engine) -> dict[str, int]:
    with Session(engine) as s:
        return {o.name: o.id for o in s.exec(select(Organisation)).all()}


def add_household(engine, actor, area=FENGHUANG, name="张三") -> int:
    n = next(_numbers)
    with unit_of_work(engine) as s:
        return households.create_household(
            s, actor=actor, household={"area_code": area, "address": f"{n}组"},
            head={"id_number": make_id(birth=date(1960, 1, 1), seq=100 + n * 2 + 1), "name": name})


def add_application(engine, *, state, area=FENGHUANG, due_on=None, name="申请人", household_id=None,
                    track="assistance") -> int:
    """An application row as the intake service leaves it at `state` (the fields the agenda reads)."""
    n = next(_numbers)
    with unit_of_work(engine) as s:
        row = Application(tracking_no=f"SQ2026{n:06d}", track=track, channel="station", state=state,
                          state_entered_on=date(2026, 10, 20), due_on=due_on, area_code=area,
                          household_id=household_id, applicant_name=name, difficulty="老人独居，患病",
                          applicant_id_number=make_id(seq=500 + n * 2 + 1), consent=True)
        s.add(row)
        s.flush()
        return row.id


def create(engine, actor, area=XINMIN, month=NOV, planned_on=NOV_MEETING, unit_names=("垫江县慈善会",
           "垫江县医疗保障局"), today=date(2026, 11, 10), place="新民镇政府三楼会议室", chair="王芳") -> int:
    ids = units(engine)
    with unit_of_work(engine) as s:
        return meetings.create_meeting(s, actor=actor, area_code=area, month=month, planned_on=planned_on,
                                       place=place, chair_name=chair, unit_ids=[ids[n] for n in unit_names],
                                       today=today)


def detail(engine, actor, meeting_id, today=date(2026, 11, 20)) -> dict:
    with Session(engine) as s:
        return meetings.meeting_detail(s, actor=actor, meeting_id=meeting_id, today=today)


def run(engine, fn, **kw):
    with unit_of_work(engine) as s:
        return fn(s, **kw)


def add_item(engine, actor, meeting_id, title, household_id=None, detail="") -> int:
    return run(engine, meetings.add_item, actor=actor, meeting_id=meeting_id, title=title, detail=detail,
               household_id=household_id)


def decide(engine, actor, item_id, decision, org=None, user=None, deadline=None, discussion="会议研究",
           today=NOV_MEETING, kind=""):
    run(engine, meetings.record_minutes, actor=actor, item_id=item_id, discussion=discussion, decision=decision,
        responsible_org_id=org, responsible_user_id=user, deadline=deadline, assistance_kind=kind, today=today)


def hold_and_approve(engine, actor, meeting_id, held_on, today):
    run(engine, meetings.mark_held, actor=actor, meeting_id=meeting_id, held_on=held_on, today=today)
    run(engine, meetings.approve_minutes, actor=actor, meeting_id=meeting_id, today=today)


def item_by_title(view: dict, text: str) -> dict:
    found = [i for i in view["items"] if text in i["title"]]
    assert len(found) == 1, [i["title"] for i in view["items"]]
    return found[0]


def snapshot(engine):
    """Every meeting, need and referral row and the audit count: a refusal must leave them as
    they were."""
    with Session(engine) as s:
        rows = []
        for table in (Meeting, MeetingAttendee, AgendaItem, ActionItem, HardCase, Need, Referral):
            rows.append([tuple(r.model_dump(exclude={"created_at"}).values())
                         for r in s.exec(select(table).order_by(table.id)).all()])
        rows.append(s.exec(select(func.count()).select_from(AuditEntry)).one())
        return rows


@pytest.fixture
def xinmin(actor_of):
    return actor_of("xinmin")


@pytest.fixture
def october(engine, xinmin):
    """新民镇's October meeting, held and approved: one decision done since, one still open."""
    meeting_id = create(engine, xinmin, month=OCT, planned_on=date(2026, 10, 20), today=date(2026, 10, 10))
    ids = units(engine)
    done = add_item(engine, xinmin, meeting_id, "为李四户申请临时救助")
    still_open = add_item(engine, xinmin, meeting_id, "为王五户联系医保报销")
    decide(engine, xinmin, done, "assign", org=ids["垫江县慈善会"], deadline=date(2026, 10, 25), today=date(2026, 10, 20))
    decide(engine, xinmin, still_open, "refer", org=ids["垫江县医疗保障局"], deadline=date(2026, 10, 31),
           today=date(2026, 10, 20))
    hold_and_approve(engine, xinmin, meeting_id, date(2026, 10, 20), date(2026, 10, 21))
    with Session(engine) as s:
        action = s.exec(select(ActionItem).where(ActionItem.agenda_item_id == done)).one()
    run(engine, meetings.complete_action, actor=xinmin, action_id=action.id, note="已发放临时救助 2000 元",
        today=date(2026, 10, 24))
    return meeting_id


# --- the agenda writes itself -------------------------------------------------------------------

def test_a_new_meeting_drafts_its_agenda_from_pending_work(engine, xinmin, actor_of, october):
    waiting_home = add_household(engine, xinmin, FENGHUANG, "周大山")
    late_home = add_household(engine, xinmin, CHANGLING, "吴小花")
    hard_home = add_household(engine, xinmin, TUANJIE, "郑老汉")
    add_application(engine, state="preliminary_review", due_on=date(2026, 11, 25), name="周大山",
                    household_id=waiting_home)
    add_application(engine, state="investigation", area=CHANGLING, due_on=date(2026, 11, 3), name="吴小花",
                    household_id=late_home)
    add_application(engine, state="investigation", due_on=date(2026, 11, 30), name="不上会")   # in time, not a review
    add_application(engine, state="preliminary_review", area=HONGYAN, due_on=date(2026, 11, 25), name="沙坪人")
    add_application(engine, state="assisting", name="已办结")
    case_id = run(engine, meetings.raise_hard_case, actor=xinmin, household_id=hard_home,
                  note="因病致贫，多项救助叠加仍困难", today=date(2026, 11, 5))

    meeting_id = create(engine, xinmin)
    view = detail(engine, xinmin, meeting_id, today=date(2026, 11, 10))
    kinds = [i["kind"] for i in view["items"]]
    assert kinds == ["summary", "follow_up", "overdue", "application", "hard_case"]
    assert [i["number"] for i in view["items"]] == [1, 2, 3, 4, 5]
    summary, follow_up, overdue, waiting, hard = view["items"]
    assert summary["title"] == "上月会议决定事项：1 项已办结，1 项超期未办"
    assert "为李四户申请临时救助（垫江县慈善会）：已办结" in summary["detail"]
    assert follow_up["title"] == "督办：为王五户联系医保报销（垫江县医疗保障局，期限 2026-10-31，已超期 10 天）"
    assert "吴小花" in overdue["title"] and "已超期 7 天" in overdue["title"] and "长岭村" in overdue["title"]
    assert overdue["household_id"] == late_home and overdue["household_href"] == f"/households/{late_home}"
    assert "周大山" in waiting["title"] and "乡镇初审" in waiting["title"] and waiting["tracking_no"].startswith("SQ")
    assert waiting["application_href"].startswith("/applications/")
    assert hard["title"] == "疑难个案：郑老汉户（新民镇 团结社区）" and "因病致贫" in hard["detail"]
    assert hard["household_id_masked"].startswith("500231") and "*" in hard["household_id_masked"]
    assert not any("沙坪人" in t or "不上会" in t or "已办结" == t for t in (i["title"] for i in view["items"]))

    # attendees: the township's staff and the member units chosen; the hard case is taken up
    assert [(a["kind"], a["name"]) for a in view["attendees"]] == [
        ("user", "王芳（新民镇）"), ("unit", "垫江县慈善会"), ("unit", "垫江县医疗保障局")]
    assert view["title"] == "新民镇 2026年11月 困难群众联席会议" and view["status_label"] == "计划中"
    assert view["can_manage"] and view["editable"] and not view["overdue"]
    with Session(engine) as s:
        assert s.get(HardCase, case_id).taken_up_on == date(2026, 11, 10)
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "meeting",
                                                AuditEntry.entity_id == str(meeting_id))).one()
    assert entry.action == "create" and '"agenda_items": 5' in entry.new_values


def test_one_meeting_per_township_and_month(engine, xinmin, actor_of):
    create(engine, xinmin)
    before = snapshot(engine)
    with pytest.raises(ValidationError, match="新民镇 2026年11月 的联席会议已创建"):
        create(engine, xinmin, planned_on=date(2026, 11, 28), today=date(2026, 11, 12))
    assert snapshot(engine) == before
    create(engine, actor_of("shaping"), area=SHAPING)            # another township, same month
    create(engine, xinmin, month=DEC, planned_on=date(2026, 12, 18))   # the same township, next month


@pytest.mark.parametrize("empty_db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_people_creating_the_same_meeting_at_once(engine, db_url, xinmin):
    """The second waits on the unique index, then is told the meeting exists (PostgreSQL only:
    SQLite lets one writer in at a time, so there is no race to lose)."""
    told: list[str] = []

    def second():
        try:
            create(engine, xinmin, planned_on=date(2026, 11, 28))
        except ValidationError as exc:
            told.append(exc.message)

    ids = units(engine)
    with unit_of_work(engine) as s:
        meetings.create_meeting(s, actor=xinmin, area_code=XINMIN, month=NOV, planned_on=NOV_MEETING, place="会议室",
                                chair_name="王芳", unit_ids=[ids["垫江县慈善会"]], today=date(2026, 11, 10))
        other = threading.Thread(target=second)
        other.start()
        other.join(1.5)
        assert other.is_alive()          # waiting for our transaction
    other.join(15)
    assert told == ["新民镇 2026年11月 的联席会议已创建"]
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Meeting)).one() == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"planned_on": date(2026, 12, 2)}, "会议日期须在 2026年11月 内"),
    ({"place": " "}, "会议地点不能为空"),
    ({"area": FENGHUANG}, "须由乡镇（街道）或县召开"),
    ({"unit_names": ()}, None),   # no unit is allowed: the staff still meet
])
def test_meeting_input_is_checked(engine, xinmin, changes, message):
    before = snapshot(engine)
    if message is None:
        create(engine, xinmin, **changes)
        return
    with pytest.raises(ValidationError, match=message):
        create(engine, xinmin, **changes)
    assert snapshot(engine) == before


def test_county_meeting_is_for_county_roles_and_county_steps(engine, xinmin, actor_of):
    minzheng = actor_of("minzheng")
    add_application(engine, state="county_review", due_on=date(2026, 11, 25), name="县审")
    add_application(engine, state="preliminary_review", due_on=date(2026, 11, 25), name="镇审")
    before = snapshot(engine)
    with pytest.raises(PermissionDenied):
        create(engine, xinmin, area=COUNTY)
    with pytest.raises(PermissionDenied):
        create(engine, xinmin, area=SHAPING)
    assert snapshot(engine) == before
    meeting_id = create(engine, minzheng, area=COUNTY, unit_names=("垫江县教育委员会",))
    view = detail(engine, minzheng, meeting_id)
    assert view["title"].startswith("垫江县 2026年11月") and view["is_county"]
    assert [i["title"] for i in view["items"] if i["kind"] == "application"] == \
        [t for t in (i["title"] for i in view["items"]) if "县审" in t]
    assert {a["name"] for a in view["attendees"] if a["kind"] == "user"} == {"张敏（县民政局）", "李强（县农业农村委）"}
    with pytest.raises(PermissionDenied):
        detail(engine, xinmin, meeting_id)


# --- the chair edits the agenda -----------------------------------------------------------------

def test_add_move_drop_and_restore_items(engine, xinmin, actor_of):
    home = add_household(engine, xinmin, FENGHUANG, "周大山")
    elsewhere = add_household(engine, actor_of("shaping"), HONGYAN, "外镇人")
    case_id = run(engine, meetings.raise_hard_case, actor=xinmin, household_id=home, note="疑难", today=date(2026, 11, 5))
    meeting_id = create(engine, xinmin)
    first = detail(engine, xinmin, meeting_id)["items"][0]["id"]          # the hard case
    second = add_item(engine, xinmin, meeting_id, "<b>危房改造</b> & 资金", household_id=home, detail="<script>x</script>")
    third = add_item(engine, xinmin, meeting_id, "冬季送温暖")
    view = detail(engine, xinmin, meeting_id)
    assert [i["id"] for i in view["items"]] == [first, second, third]
    assert item_by_title(view, "危房")["title"] == "<b>危房改造</b> & 资金"      # kept as typed
    assert item_by_title(view, "危房")["detail"] == "<script>x</script>"
    assert view["items"][0]["can_move_up"] is False and view["items"][0]["can_move_down"] is True

    run(engine, meetings.move_item, actor=xinmin, item_id=third, direction="up")
    assert [i["id"] for i in detail(engine, xinmin, meeting_id)["items"]] == [first, third, second]
    before = snapshot(engine)
    with pytest.raises(ValidationError, match="已在最前面"):
        run(engine, meetings.move_item, actor=xinmin, item_id=first, direction="up")
    with pytest.raises(ValidationError, match="已在最后面"):
        run(engine, meetings.move_item, actor=xinmin, item_id=second, direction="down")
    with pytest.raises(ValidationError, match="不在本次会议的辖区内"):
        add_item(engine, xinmin, meeting_id, "外镇家庭", household_id=elsewhere)
    with pytest.raises(ValidationError, match="议题不能为空"):
        add_item(engine, xinmin, meeting_id, "  ")
    assert snapshot(engine) == before

    # a dropped item keeps its place unnumbered; a dropped hard case goes back to the pool
    run(engine, meetings.drop_item, actor=xinmin, item_id=first)
    view = detail(engine, xinmin, meeting_id)
    assert [(i["id"], i["number"], i["dropped"]) for i in view["items"]] == [
        (first, "", True), (third, 1, False), (second, 2, False)]
    assert view["counts"]["items"] == 2 and view["counts"]["dropped"] == 1
    with Session(engine) as s:
        assert s.get(HardCase, case_id).taken_up_on is None
    run(engine, meetings.move_item, actor=xinmin, item_id=second, direction="up")   # skips nothing dropped
    assert [i["id"] for i in detail(engine, xinmin, meeting_id)["items"] if not i["dropped"]] == [second, third]
    run(engine, meetings.restore_item, actor=xinmin, item_id=first)
    with Session(engine) as s:
        assert s.get(HardCase, case_id).taken_up_on is not None
    decide(engine, xinmin, first, "approve")
    with pytest.raises(ValidationError, match="已形成决定，不能撤下"):
        run(engine, meetings.drop_item, actor=xinmin, item_id=first)


# --- minutes and decisions ---------------------------------------------------------------------

def test_minutes_with_each_decision(engine, xinmin):
    ids = units(engine)
    homes = [add_household(engine, xinmin, FENGHUANG, name) for name in ("甲", "乙", "丙", "丁", "戊")]
    meeting_id = create(engine, xinmin)
    items = {code: add_item(engine, xinmin, meeting_id, f"研究{code}户", household_id=home)
             for code, home in zip(("approve", "refuse", "refer", "assign", "defer"), homes, strict=True)}
    decide(engine, xinmin, items["approve"], "approve", discussion="符合条件")
    decide(engine, xinmin, items["refuse"], "refuse", discussion="收入超标")
    decide(engine, xinmin, items["refer"], "refer", org=ids["垫江县慈善会"], deadline="2026-12-10", kind="temporary")
    decide(engine, xinmin, items["assign"], "assign", user=xinmin.user_id, deadline=date(2026, 11, 30))
    decide(engine, xinmin, items["defer"], "defer")
    view = detail(engine, xinmin, meeting_id)
    labels = {i["id"]: (i["decision_label"], i["responsible_name"], i["deadline"]) for i in view["items"]}
    assert labels[items["approve"]] == ("同意", "", "")
    assert labels[items["refuse"]] == ("不同意", "", "")
    assert labels[items["refer"]] == ("转介", "垫江县慈善会", "2026-12-10")
    assert labels[items["assign"]] == ("交办", "王芳（新民镇）", "2026-11-30")
    assert labels[items["defer"]] == ("暂缓", "", "2026-12-31")    # back at next month's meeting
    actions = {a["agenda_item_id"]: a for a in view["actions"]}
    assert set(actions) == {items["refer"], items["assign"], items["defer"]}
    assert actions[items["refer"]]["household_id"] == homes[2] and actions[items["refer"]]["status_label"] == "办理中"
    assert actions[items["defer"]]["title"] == "暂缓，下月再议：研究defer户"

    # recording again replaces: a new deadline updates the action item, a decision asking nothing cancels it
    decide(engine, xinmin, items["refer"], "refer", org=ids["垫江县医疗保障局"], deadline="2026-12-20")
    decide(engine, xinmin, items["assign"], "approve")
    with Session(engine) as s:
        rows = {a.agenda_item_id: a for a in s.exec(select(ActionItem)).all()}
    assert len(rows) == 3
    assert rows[items["refer"]].deadline == date(2026, 12, 20) and rows[items["refer"]].responsible_org_id == \
        ids["垫江县医疗保障局"]
    assert rows[items["assign"]].status == "cancelled"
    assert [a["agenda_item_id"] for a in detail(engine, xinmin, meeting_id)["actions"]] == \
        [items["refer"], items["defer"]]


@pytest.mark.parametrize(("changes", "message"), [
    ({"deadline": date(2026, 11, 19)}, "办理期限不能早于会议日期（2026年11月20日）"),
    ({"org": "教育"}, "责任单位须为本次会议的成员单位"),
    ({"org": None}, "“转介”须指定责任单位或责任人"),
    ({"deadline": None}, "“转介”须填写办理期限"),
    ({"org": None, "user": "shaping"}, "责任人须为本次会议的参会人员"),
    ({"decision": "perhaps"}, "不在可选范围内"),
    ({"deadline": "11月30日"}, "不是有效日期"),
])
def test_refused_minutes_change_nothing(engine, xinmin, actor_of, changes, message):
    ids = units(engine)
    meeting_id = create(engine, xinmin)
    item_id = add_item(engine, xinmin, meeting_id, "研究周大山户")
    values = {"decision": "refer", "org": ids["垫江县慈善会"], "user": None, "deadline": date(2026, 11, 30)}
    values.update(changes)
    if values["org"] == "教育":
        values["org"] = ids["垫江县教育委员会"]     # a unit of the county, not invited to this meeting
    if values["user"] == "shaping":
        values["user"] = actor_of("shaping").user_id
    before = snapshot(engine)
    with pytest.raises(ValidationError, match=message):
        decide(engine, xinmin, item_id, **values)
    assert snapshot(engine) == before


# --- 转介 about a household: a need and an assigned referral through the referral services ------

def referral_rows(engine, household_id) -> tuple[list[Need], list[Referral]]:
    with Session(engine) as s:
        return (list(s.exec(select(Need).where(Need.household_id == household_id)).all()),
                list(s.exec(select(Referral).where(Referral.household_id == household_id)).all()))


def referral_keys(engine, household_id) -> tuple[list[tuple], list[tuple]]:
    needs, referrals = referral_rows(engine, household_id)
    return ([(n.id, n.kind, n.status) for n in needs],
            [(r.id, r.need_id, r.kind, r.status, r.organisation_id, r.version) for r in referrals])


def test_refer_about_a_household_records_a_need_and_an_assigned_referral(engine, xinmin):
    ids = units(engine)
    home = add_household(engine, xinmin, FENGHUANG, "陈大病")
    meeting_id = create(engine, xinmin)
    item_id = add_item(engine, xinmin, meeting_id, "陈大病户医疗费用负担重", household_id=home)
    decide(engine, xinmin, item_id, "refer", org=ids["垫江县医疗保障局"], deadline=date(2026, 12, 10),
           discussion="住院自付部分转医保局核实救助", kind="medical")

    (need,), (referral,) = referral_rows(engine, home)
    assert (need.kind, need.source, need.source_ref, need.urgency, need.status) == (
        "medical", "meeting", "新民镇 2026年11月 困难群众联席会议", "normal", "referred")
    assert need.description == "住院自付部分转医保局核实救助" and need.recorded_on == NOV_MEETING
    assert (referral.need_id, referral.mode, referral.status, referral.organisation_id) == (
        need.id, "assigned", "assigned", ids["垫江县医疗保障局"])
    action = detail(engine, xinmin, meeting_id)["actions"][0]
    assert action["decision"] == "refer" and action["household_id"] == home
    assert action["done_note"] == f"已转介：转介事项编号 {referral.id}（医疗救助，垫江县医疗保障局承办）"
    with Session(engine) as s:
        shown = referral_views.household_needs(s, actor=xinmin, household_id=home)
        audit_entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "agenda_item",
                                                      AuditEntry.entity_id == str(item_id))
                             .order_by(col(AuditEntry.id).desc())).first()
    assert [(n["source_label"], n["kind_label"], [(r["id"], r["status_label"], r["organisation_name"])
                                                  for r in n["referrals"]]) for n in shown] == [
        ("联席会议", "医疗救助", [(referral.id, "已派单", "垫江县医疗保障局")])]
    assert f'"referral_id": {referral.id}' in audit_entry.new_values

    # no discussion: the need gets a neutral description, never the item title
    other = add_household(engine, xinmin, CHANGLING, "吴小花")
    second = add_item(engine, xinmin, meeting_id, "吴小花户子女上学困难", household_id=other)
    decide(engine, xinmin, second, "refer", org=ids["垫江县慈善会"], deadline=date(2026, 12, 10), discussion="",
           kind="education")
    (need,), (referral,) = referral_rows(engine, other)
    # without a discussion the need gets a neutral description: the item's title names the
    # family, and a returned referral goes to partners' pool
    assert need.description == "联席会议决定转介：教育救助" and referral.organisation_id == ids["垫江县慈善会"]


def test_refer_without_a_household_makes_the_action_item_only(engine, xinmin):
    ids = units(engine)
    meeting_id = create(engine, xinmin)
    item_id = add_item(engine, xinmin, meeting_id, "全镇大病患者摸排")
    decide(engine, xinmin, item_id, "refer", org=ids["垫江县医疗保障局"], deadline=date(2026, 12, 10))
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Need)).one() == 0
        assert s.exec(select(func.count()).select_from(Referral)).one() == 0
    assert [a["done_note"] for a in detail(engine, xinmin, meeting_id)["actions"]] == [""]


@pytest.mark.parametrize(("changes", "message"), [
    ({"kind": ""}, rules.MSG_REFER_KIND),
    ({"kind": "flying"}, "救助类别"),
    ({"org": "慈善会"}, referral_rules.MSG_ASSIGNEE_UNFIT.format(kind="医疗救助")),   # 慈善会 offers no 医疗救助
    ({"org": None, "user": "xinmin"}, rules.MSG_REFER_UNIT),
])
def test_refused_referral_decisions_save_nothing(engine, xinmin, changes, message):
    ids = units(engine)
    home = add_household(engine, xinmin, FENGHUANG, "陈大病")
    meeting_id = create(engine, xinmin)
    item_id = add_item(engine, xinmin, meeting_id, "陈大病户医疗费用负担重", household_id=home)
    values = {"decision": "refer", "org": ids["垫江县医疗保障局"], "user": None, "deadline": date(2026, 12, 10),
              "kind": "medical"} | changes
    if values["org"] == "慈善会":
        values["org"] = ids["垫江县慈善会"]
    if values["user"] == "xinmin":
        values["user"] = xinmin.user_id
    before = snapshot(engine)
    with pytest.raises(ValidationError) as refused:
        decide(engine, xinmin, item_id, **values)
    assert message in refused.value.message
    assert snapshot(engine) == before
    assert referral_keys(engine, home) == ([], [])


def test_recording_a_referral_again_keeps_the_first_one(engine, xinmin):
    ids = units(engine)
    home = add_household(engine, xinmin, FENGHUANG, "陈大病")
    meeting_id = create(engine, xinmin)
    item_id = add_item(engine, xinmin, meeting_id, "陈大病户医疗费用负担重", household_id=home)
    decide(engine, xinmin, item_id, "refer", org=ids["垫江县医疗保障局"], deadline=date(2026, 12, 10), kind="medical")
    (_need,), (referral,) = referral_rows(engine, home)
    first = referral_keys(engine, home)
    named = f"已转介：转介事项编号 {referral.id}（医疗救助，垫江县医疗保障局承办）"

    # again, with a new deadline and no kind: the minutes change, the referral stays the one
    decide(engine, xinmin, item_id, "refer", org=ids["垫江县医疗保障局"], deadline=date(2026, 12, 20),
           discussion="补充：医保局 12 月 20 日前答复")
    assert referral_keys(engine, home) == first
    (action,) = detail(engine, xinmin, meeting_id)["actions"]
    assert action["deadline"] == "2026-12-20" and action["done_note"] == named

    # away from 转介: the action item is cancelled and says the referral stays; the referral is untouched
    decide(engine, xinmin, item_id, "approve")
    with Session(engine) as s:
        cancelled = s.exec(select(ActionItem).where(ActionItem.agenda_item_id == item_id)).one()
    assert cancelled.status == "cancelled" and cancelled.done_note == rules.referral_kept_note(referral.id)
    assert referral_keys(engine, home) == first
    # to 交办: a new action item, which says so too
    decide(engine, xinmin, item_id, "assign", user=xinmin.user_id, deadline=date(2026, 12, 20))
    assert [a["done_note"] for a in detail(engine, xinmin, meeting_id)["actions"]] == \
        [rules.referral_kept_note(referral.id)]
    # back to 转介 (even with another kind): still the first referral, named again
    decide(engine, xinmin, item_id, "refer", org=ids["垫江县慈善会"], deadline=date(2026, 12, 20), kind="temporary")
    assert referral_keys(engine, home) == first
    assert [a["done_note"] for a in detail(engine, xinmin, meeting_id)["actions"]] == [named]
    with Session(engine) as s:
        assert s.get(Referral, referral.id).status == "assigned"


def test_approval_needs_a_held_meeting_with_every_item_decided_then_nothing_changes(engine, xinmin, actor_of):
    ids = units(engine)
    meeting_id = create(engine, xinmin)
    first = add_item(engine, xinmin, meeting_id, "研究周大山户")
    second = add_item(engine, xinmin, meeting_id, "研究吴小花户")
    attendee = detail(engine, xinmin, meeting_id)["attendees"][0]["id"]
    run(engine, meetings.sign_in, actor=xinmin, attendee_id=attendee, present=True)
    decide(engine, xinmin, first, "assign", org=ids["垫江县慈善会"], deadline=date(2026, 11, 30))
    before = snapshot(engine)
    with pytest.raises(ValidationError, match="会议尚未召开"):
        run(engine, meetings.approve_minutes, actor=xinmin, meeting_id=meeting_id, today=date(2026, 11, 21))
    with pytest.raises(ValidationError, match="召开日期不能晚于今天"):
        run(engine, meetings.mark_held, actor=xinmin, meeting_id=meeting_id, held_on=date(2026, 11, 22),
            today=date(2026, 11, 21))
    with pytest.raises(ValidationError, match="第 1 项“研究周大山户”的办理期限 2026-11-30 早于召开日期"):
        run(engine, meetings.mark_held, actor=xinmin, meeting_id=meeting_id, held_on=date(2026, 12, 1),
            today=date(2026, 12, 1))
    assert snapshot(engine) == before
    run(engine, meetings.mark_held, actor=xinmin, meeting_id=meeting_id, held_on=date(2026, 11, 20),
        today=date(2026, 11, 21))
    before = snapshot(engine)
    with pytest.raises(ValidationError, match="第 2 项“研究吴小花户”尚未形成决定"):
        run(engine, meetings.approve_minutes, actor=xinmin, meeting_id=meeting_id, today=date(2026, 11, 21))
    assert snapshot(engine) == before
    decide(engine, xinmin, second, "refuse")
    run(engine, meetings.approve_minutes, actor=xinmin, meeting_id=meeting_id, today=date(2026, 11, 21))
    view = detail(engine, xinmin, meeting_id)
    assert view["status_label"] == "纪要已审定" and not view["editable"] and view["approved_by_name"] == "王芳（新民镇）"
    assert view["attendees"][0]["signed_in_text"] == "已签到"

    before = snapshot(engine)
    writes = [
        lambda: decide(engine, xinmin, first, "approve"),
        lambda: add_item(engine, xinmin, meeting_id, "补充议题"),
        lambda: run(engine, meetings.drop_item, actor=xinmin, item_id=second),
        lambda: run(engine, meetings.restore_item, actor=xinmin, item_id=second),
        lambda: run(engine, meetings.move_item, actor=xinmin, item_id=second, direction="up"),
        lambda: run(engine, meetings.sign_in, actor=xinmin, attendee_id=attendee, present=False),
        lambda: run(engine, meetings.mark_held, actor=xinmin, meeting_id=meeting_id, held_on=date(2026, 11, 21),
                    today=date(2026, 11, 21)),
        lambda: run(engine, meetings.approve_minutes, actor=xinmin, meeting_id=meeting_id, today=date(2026, 11, 22)),
        lambda: decide(engine, actor_of("minzheng"), second, "approve"),
    ]
    for write in writes:
        with pytest.raises(ValidationError, match="会议纪要已审定，不能再修改"):
            write()
    assert snapshot(engine) == before
    # the decisions are carried out after approval: that is what they are for
    action_id = detail(engine, xinmin, meeting_id)["actions"][0]["id"]
    run(engine, meetings.complete_action, actor=xinmin, action_id=action_id, note="已办", today=date(2026, 11, 25))


def test_another_townships_staff_and_village_staff_cannot_touch_the_meeting(engine, xinmin, actor_of):
    meeting_id = create(engine, xinmin)
    item_id = add_item(engine, xinmin, meeting_id, "研究周大山户")
    attendee = detail(engine, xinmin, meeting_id)["attendees"][0]["id"]
    before = snapshot(engine)
    for who in ("shaping", "fenghuang", "cishan", "nongye"):
        actor = actor_of(who)
        with pytest.raises(PermissionDenied):
            decide(engine, actor, item_id, "approve")
        with pytest.raises(PermissionDenied):
            add_item(engine, actor, meeting_id, "外人加的议题")
        with pytest.raises(PermissionDenied):
            run(engine, meetings.sign_in, actor=actor, attendee_id=attendee, present=True)
        with pytest.raises(PermissionDenied):
            run(engine, meetings.move_item, actor=actor, item_id=item_id, direction="up")
    with pytest.raises(PermissionDenied):
        detail(engine, actor_of("shaping"), meeting_id)
    assert snapshot(engine) == before
    # the county sees every township's meetings; a township only its own
    minzheng = actor_of("minzheng")
    create(engine, actor_of("shaping"), area=SHAPING)
    with Session(engine) as s:
        assert [m["area_name"] for m in meetings.list_meetings(s, actor=xinmin, today=date(2026, 11, 10))] == ["新民镇"]
        assert {m["area_name"] for m in meetings.list_meetings(s, actor=minzheng, month="2026-11")} == {"新民镇", "沙坪镇"}
        assert meetings.list_meetings(s, actor=minzheng, month=DEC) == []
    with pytest.raises(PermissionDenied):  # leaders see counts, never the households on an agenda
        detail(engine, actor_of("lingdao"), meeting_id)


# --- decisions flow into next month's agenda until done -----------------------------------------

def test_done_action_items_leave_the_next_agenda_and_open_ones_stay(engine, xinmin):
    ids = units(engine)
    homes = {name: add_household(engine, xinmin, FENGHUANG, name) for name in ("甲户主", "乙户主", "丙户主")}
    november = create(engine, xinmin)
    done = add_item(engine, xinmin, november, "为甲户申请临时救助", household_id=homes["甲户主"])
    referred = add_item(engine, xinmin, november, "乙户医疗费用报销", household_id=homes["乙户主"])
    deferred = add_item(engine, xinmin, november, "丙户是否纳入低保", household_id=homes["丙户主"])
    decide(engine, xinmin, done, "assign", org=ids["垫江县慈善会"], deadline=date(2026, 11, 30))
    decide(engine, xinmin, referred, "refer", org=ids["垫江县医疗保障局"], deadline=date(2026, 12, 15), kind="medical")
    decide(engine, xinmin, deferred, "defer", discussion="材料不全")
    hold_and_approve(engine, xinmin, november, NOV_MEETING, date(2026, 11, 21))
    actions = {a["agenda_item_id"]: a["id"] for a in detail(engine, xinmin, november)["actions"]}
    run(engine, meetings.complete_action, actor=xinmin, action_id=actions[done], note="已发放", today=date(2026, 11, 28))
    with Session(engine) as s:
        assert {a["id"] for a in meetings.open_actions(s, actor=xinmin, today=date(2026, 12, 5))} == \
            {actions[referred], actions[deferred]}

    december = create(engine, xinmin, month=DEC, planned_on=date(2026, 12, 18), today=date(2026, 12, 5))
    view = detail(engine, xinmin, december, today=date(2026, 12, 5))
    titles = [i["title"] for i in view["items"]]
    assert titles[0] == "上月会议决定事项：1 项已办结，0 项超期未办，2 项正在办理"
    follow_ups = [i for i in view["items"] if i["kind"] == "follow_up"]
    assert [(f["action_item_id"], f["household_id"]) for f in follow_ups] == [
        (actions[referred], homes["乙户主"]), (actions[deferred], homes["丙户主"])]
    assert follow_ups[0]["title"] == "督办：乙户医疗费用报销（垫江县医疗保障局，期限 2026-12-15）"
    assert follow_ups[1]["title"] == "督办：暂缓，下月再议：丙户是否纳入低保（期限 2026-12-31）"
    assert not any("甲户" in t for t in titles[1:])

    # December: the deferred case is decided, the referral's progress heard (it stays open)
    summary_id = view["items"][0]["id"]
    decide(engine, xinmin, summary_id, "approve", today=date(2026, 12, 18))
    decide(engine, xinmin, follow_ups[0]["id"], "approve", discussion="医保局正在办理", today=date(2026, 12, 18))
    decide(engine, xinmin, follow_ups[1]["id"], "approve", discussion="同意纳入", today=date(2026, 12, 18))
    hold_and_approve(engine, xinmin, december, date(2026, 12, 18), date(2026, 12, 19))
    with Session(engine) as s:
        assert s.get(ActionItem, actions[deferred]).status == "superseded"
        assert s.get(ActionItem, actions[referred]).status == "open"

    january = create(engine, xinmin, month=JAN, planned_on=date(2027, 1, 20), today=date(2027, 1, 6))
    items = detail(engine, xinmin, january, today=date(2027, 1, 6))["items"]
    assert items[0]["title"] == "上月会议未形成需办理的决定事项"
    # the decision is followed up, and the referral it dispatched to 医保局, now past its
    # delivery deadline, is listed by the referral feature's own agenda source
    assert [(i["kind"], i["action_item_id"], i["household_id"]) for i in items[1:]] == [
        ("follow_up", actions[referred], homes["乙户主"]), ("referral", None, homes["乙户主"])]
    assert items[1]["title"].endswith("已超期 22 天）")
    assert items[2]["title"].startswith("超期未办结：乙户主户 医疗救助（垫江县医疗保障局承办")


# --- the county's view --------------------------------------------------------------------------

def test_overdue_townships_lists_those_that_did_not_meet(engine, xinmin, actor_of):
    minzheng = actor_of("minzheng")
    meeting_id = create(engine, xinmin, month=OCT, planned_on=date(2026, 10, 20), today=date(2026, 10, 10))
    run(engine, meetings.mark_held, actor=xinmin, meeting_id=meeting_id, held_on=date(2026, 10, 20),
        today=date(2026, 10, 21))
    shaping_meeting = create(engine, actor_of("shaping"), area=SHAPING, month=OCT, planned_on=date(2026, 10, 28),
                             today=date(2026, 10, 10))
    with Session(engine) as s:
        october = meetings.overdue_townships(s, actor=minzheng, month=OCT, today=date(2026, 11, 10))
        running = meetings.overdue_townships(s, actor=actor_of("nongye"), month="2026-11", today=date(2026, 11, 10))
        with pytest.raises(PermissionDenied):
            meetings.overdue_townships(s, actor=xinmin, month=OCT, today=date(2026, 11, 10))
    by_name = {r["area_name"]: r for r in october}
    assert "新民镇" not in by_name
    assert by_name["沙坪镇"]["overdue"] and by_name["沙坪镇"]["status_label"] == "计划中"
    assert by_name["沙坪镇"]["meeting_id"] == shaping_meeting and by_name["沙坪镇"]["state_text"] == "已超期未召开"
    assert by_name["周嘉镇"]["status_label"] == "未创建" and by_name["周嘉镇"]["meeting_id"] is None
    assert {"新民镇", "沙坪镇"} <= {r["area_name"] for r in running}
    assert not any(r["overdue"] for r in running)
    with Session(engine) as s:
        rows = meetings.list_meetings(s, actor=minzheng, month=OCT, today=date(2026, 11, 10))
    assert {r["area_name"]: r["overdue"] for r in rows} == {"新民镇": False, "沙坪镇": True}


# --- action items and hard cases ----------------------------------------------------------------

def test_complete_action(engine, xinmin, actor_of):
    ids = units(engine)
    meeting_id = create(engine, xinmin)
    item_id = add_item(engine, xinmin, meeting_id, "研究周大山户")
    decide(engine, xinmin, item_id, "assign", org=ids["垫江县慈善会"], deadline=date(2026, 11, 30))
    action_id = detail(engine, xinmin, meeting_id)["actions"][0]["id"]
    before = snapshot(engine)
    with pytest.raises(ValidationError, match="办结情况不能为空"):
        run(engine, meetings.complete_action, actor=xinmin, action_id=action_id, note=" ", today=date(2026, 11, 25))
    for who in ("shaping", "fenghuang", "cishan"):
        with pytest.raises(PermissionDenied):
            run(engine, meetings.complete_action, actor=actor_of(who), action_id=action_id, note="已办",
                today=date(2026, 11, 25))
    assert snapshot(engine) == before
    run(engine, meetings.complete_action, actor=actor_of("nongye"), action_id=action_id, note="慈善会已救助",
        today=date(2026, 11, 25))
    view = detail(engine, xinmin, meeting_id)
    assert view["actions"][0]["status_label"] == "已办结" and view["actions"][0]["done_note"] == "慈善会已救助"
    assert view["actions"][0]["can_complete"] is False
    with pytest.raises(ValidationError, match="该决定事项已办结，不能再次办结"):
        run(engine, meetings.complete_action, actor=xinmin, action_id=action_id, note="再办", today=date(2026, 11, 26))
    with pytest.raises(ValidationError, match="决定事项已办结，不能再修改决定"):
        decide(engine, xinmin, item_id, "approve")
    with Session(engine) as s:
        assert meetings.open_actions(s, actor=xinmin) == []
        with pytest.raises(PermissionDenied):
            meetings.open_actions(s, actor=xinmin, area_code=SHAPING)
        assert [a["status"] for a in meetings.open_actions(s, actor=xinmin, meeting_id=meeting_id,
                                                           include_done=True)] == ["done"]


def test_raise_hard_case_once_until_a_meeting_takes_it_up(engine, xinmin, actor_of):
    home = add_household(engine, xinmin, FENGHUANG, "周大山")
    other = add_household(engine, xinmin, CHANGLING, "吴小花")
    case_id = run(engine, meetings.raise_hard_case, actor=actor_of("fenghuang"), household_id=home,
                  note="多病共存，支出大", today=date(2026, 11, 3))
    before = snapshot(engine)
    with pytest.raises(ValidationError, match="该户已于 2026-11-03 提交疑难个案"):
        run(engine, meetings.raise_hard_case, actor=xinmin, household_id=home, note="再次提交", today=date(2026, 11, 4))
    with pytest.raises(ValidationError, match="疑难情况说明不能为空"):
        run(engine, meetings.raise_hard_case, actor=xinmin, household_id=other, note="",
            today=date(2026, 11, 4))
    with pytest.raises(PermissionDenied):
        run(engine, meetings.raise_hard_case, actor=actor_of("shaping"), household_id=home, note="外镇",
            today=date(2026, 11, 4))
    assert snapshot(engine) == before
    create(engine, xinmin)                      # the meeting takes it up ...
    with Session(engine) as s:
        assert s.get(HardCase, case_id).taken_up_on == date(2026, 11, 10)
    # ... and the household may be raised again for a later meeting
    run(engine, meetings.raise_hard_case, actor=xinmin, household_id=home, note="仍未解决", today=date(2026, 11, 25))
