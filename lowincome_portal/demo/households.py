"""Demo households for the sample county: 12 in 新民镇 and 3 in 沙坪镇, with members of every
kind (elderly, children at school, a disabled member), economic-status history, tag
periods (one ended) and visits. Invented people, for demonstration only.

Call `seed_demo_households(session)` after the areas and the demo logins exist (it names
the demo village and township staff as visitors). Idempotent: a household whose head is
already registered is skipped whole, so a second run adds nothing.

How it writes: rows are inserted here directly, not through services/households.py,
because those services need a signed-in actor and their permission checks should never
learn an "actor=None means trusted" path that a page bug could reach. Everything else is
the same as a real entry: each member and economic-status record is checked by
domain/registry_input.py, the household's denormalised columns are set by
households.refresh_summary, and every row gets an audit entry by "system" (like
demo/seed.py), noted 演示数据.

ID numbers: 500231 (垫江县) + birth date + sequence, with the check digit computed by
stdnum.cn.ric.calc_check_digit (domain/idcard.py checks the checksum, not the region).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select
from stdnum.cn import ric

from ..db.tables import EconomicStatus, Household, HouseholdTag, Member, User, Visit
from ..domain import registry_input
from ..services import audit
from ..services.households import refresh_summary, today_in_china

NOTE = "演示数据"
FENGHUANG, CHANGLING, TUANJIE = "500231100200", "500231100201", "500231100001"
HONGYAN, JINZHU = "500231101200", "500231101201"
BANK = "重庆农村商业银行垫江支行"


def demo_id(birth: date, seq: int) -> str:
    """A valid ID number of 垫江县; seq's last digit odd = male, even = female."""
    body = f"500231{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # calc_check_digit ignores the last character


@dataclass(frozen=True)
class Person:
    name: str
    birth: date
    seq: int
    relation: str
    facts: dict = field(default_factory=dict)

    @property
    def id_number(self) -> str:
        return demo_id(self.birth, self.seq)


@dataclass(frozen=True)
class Tag:
    tag: str
    start: date
    decision_ref: str
    basis: str = ""
    subtype: str = ""
    end: date | None = None
    end_reason: str = ""


@dataclass(frozen=True)
class DemoHousehold:
    area_code: str
    address: str
    phone: str
    bank_account: str
    people: tuple[Person, ...]
    statuses: tuple[tuple[date, str, dict], ...] = ()   # (recorded_on, source, values)
    tags: tuple[Tag, ...] = ()
    visits: tuple[tuple[int, str, str, str], ...] = ()  # (days ago, username, purpose, findings)
    note: str = ""


def _p(name, birth, seq, relation="head", **facts) -> Person:
    return Person(name, birth, seq, relation, facts)


D = date
HOUSEHOLDS: tuple[DemoHousehold, ...] = (
    DemoHousehold(
        FENGHUANG, "新民镇凤凰村2组15号", "13527410001", "6228480468123450011",
        (_p("张德福", D(1948, 3, 12), 11, health="chronic", employment="farming"),
         _p("刘桂兰", D(1951, 9, 5), 22, "spouse", health="chronic", employment="farming")),
        statuses=(
            (D(2025, 6, 18), "visit", {"business_income": "2600", "transfer_income": "3960",
                                        "medical_expense": "3200", "risk_points": "illness lack_of_labour"}),
            (D(2026, 6, 20), "visit", {"business_income": "2400", "transfer_income": "4200",
                                        "medical_expense": "4100", "deposits": "3000",
                                        "risk_points": "illness lack_of_labour"}),
        ),
        tags=(Tag("dibao", D(2023, 7, 1), "垫民发〔2023〕112号",
                  "两人均年满 60 周岁、长期慢性病，人均月收入低于低保标准"),),
        visits=((12, "fenghuang", "低保年度复核", "两位老人在家，身体状况与上次一致，已核对养老金和种植收入。"),),
    ),
    DemoHousehold(
        FENGHUANG, "新民镇凤凰村4组3号", "13527410002", "6228480468123450029",
        (_p("李秀珍", D(1939, 11, 2), 24, health="serious", employment="retired"),),
        statuses=((D(2026, 3, 10), "visit", {"transfer_income": "2160", "medical_expense": "1800",
                                             "housing_safety": "B", "risk_points": "illness"}),),
        tags=(Tag("tekun", D(2022, 1, 1), "垫民发〔2021〕268号",
                  "年满 60 周岁，无劳动能力、无生活来源、无法定赡养人"),),
    ),
    DemoHousehold(
        FENGHUANG, "新民镇凤凰村1组27号", "13983520003", "6228480468123450037",
        (_p("王建国", D(1975, 5, 20), 31, employment="migrant"),
         _p("陈晓燕", D(1978, 8, 14), 42, "spouse", labour_capacity="partial", health="chronic",
            employment="farming"),
         _p("王浩然", D(2009, 10, 3), 51, "child", employment="student", schooling="senior"),
         _p("王雨萱", D(2014, 4, 22), 62, "child", employment="student", schooling="primary"),
         _p("王德明", D(1945, 1, 30), 71, "parent", health="chronic", employment="retired")),
        statuses=((D(2026, 5, 8), "visit", {"wage_income": "46000", "employment_costs": "6000",
                                            "business_income": "5200", "transfer_income": "2400",
                                            "education_expense": "4500", "deposits": "12000"}),),
        tags=(Tag("monitoring", D(2023, 3, 15), "垫农发〔2023〕41号", "务工收入不稳定，人均纯收入低于监测线",
                  "unstable", D(2025, 12, 31), "务工收入稳定超过 6 个月，风险已消除"),),
        visits=((95, "xinmin", "风险消除回访", "王建国在浙江务工稳定，两个孩子正常上学。"),),
    ),
    DemoHousehold(
        FENGHUANG, "新民镇凤凰村3组8号", "13983520004", "6228480468123450045",
        (_p("周明强", D(1970, 2, 17), 13, health="disabled", disability_type="physical", disability_grade="2",
            employment="unemployed"),
         _p("黄丽", D(1972, 12, 1), 24, "spouse", employment="farming"),
         _p("周杰", D(1999, 7, 9), 33, "child", employment="local_work")),
        statuses=((D(2026, 4, 16), "visit", {"wage_income": "14400", "business_income": "3000",
                                             "transfer_income": "2520", "disability_care_expense": "2400",
                                             "risk_points": "disability"}),),
        tags=(Tag("dibao", D(2024, 9, 1), "垫民发〔2024〕156号", "户主二级肢体残疾，家庭人均收入低于低保标准"),),
    ),
    DemoHousehold(
        FENGHUANG, "新民镇凤凰村5组21号", "13594630005", "6228480468123450052",
        (_p("刘永福", D(1968, 6, 28), 15, labour_capacity="partial", health="serious", employment="farming"),
         _p("罗素芬", D(1965, 3, 3), 26, "spouse", employment="farming"),
         _p("刘思琪", D(2005, 9, 12), 44, "child", employment="student", schooling="college")),
        statuses=((D(2026, 8, 22), "visit", {"business_income": "9000", "transfer_income": "1800",
                                             "medical_expense": "38000", "education_expense": "9000",
                                             "risk_points": "illness schooling"}),),
        tags=(Tag("monitoring", D(2026, 9, 10), "垫农发〔2026〕77号", "户主确诊重大疾病，医疗自付超过 3 万元",
                  "sudden"),),
        visits=((40, "xinmin", "突发困难核实", "户主在县人民医院住院化疗，家属已申请医疗救助。"),),
    ),
    DemoHousehold(
        FENGHUANG, "新民镇凤凰村6组2号", "13594630006", "6228480468123450060",
        (_p("陈大勇", D(1980, 10, 8), 17, employment="farming"),
         _p("杨小红", D(1983, 4, 19), 28, "spouse", employment="flexible"),
         _p("陈子轩", D(2018, 2, 11), 35, "child", employment="student", schooling="primary"),
         _p("陈子涵", D(2021, 7, 25), 46, "child", employment="preschool", schooling="preschool")),
        statuses=((D(2026, 2, 26), "application", {"wage_income": "12000", "business_income": "18000",
                                                   "transfer_income": "1200", "deposits": "6000"}),),
        tags=(Tag("dibao_edge", D(2026, 4, 1), "垫民发〔2026〕39号", "人均月收入低于低保标准的 1.5 倍"),),
    ),
    DemoHousehold(
        FENGHUANG, "新民镇凤凰村2组30号", "13627840007", "6228480468123450078",
        (_p("赵桂英", D(1956, 12, 24), 28, health="chronic", employment="farming"),
         _p("赵小军", D(2012, 5, 6), 39, "grandchild", employment="student", schooling="junior",
            has_supporter=True)),
        statuses=((D(2026, 7, 2), "visit", {"business_income": "1800", "transfer_income": "3600",
                                            "education_expense": "1200"}),),
        tags=(Tag("dibao", D(2025, 3, 1), "垫民发〔2025〕48号", "祖孙二人生活，父母外出无稳定收入"),),
        note="留守儿童家庭，孙子父母在外务工",
    ),
    DemoHousehold(
        FENGHUANG, "新民镇凤凰村7组11号", "13627840008", "6228480468123450086",
        (_p("吴光明", D(1968, 8, 30), 19, health="disabled", disability_type="mental", disability_grade="3",
            employment="unemployed"),
         _p("何秀兰", D(1942, 2, 14), 20, "parent", health="chronic", employment="retired")),
        statuses=((D(2026, 1, 15), "manual", {"transfer_income": "4800", "disability_care_expense": "1500",
                                              "risk_points": "disability lack_of_labour"}),),
    ),
    DemoHousehold(
        CHANGLING, "新民镇长岭村1组6号", "13708350009", "6228480468123450094",
        (_p("孙志华", D(1972, 1, 9), 31, employment="local_work"),
         _p("唐玉梅", D(1974, 6, 6), 42, "spouse", employment="farming"),
         _p("孙宇", D(2000, 11, 11), 53, "child", employment="migrant")),
        statuses=((D(2026, 5, 20), "import", {"wage_income": "52000", "employment_costs": "4000",
                                              "business_income": "6000", "deposits": "20000"}),),
    ),
    DemoHousehold(
        CHANGLING, "新民镇长岭村3组19号", "13708350010", "6228480468123450102",
        (_p("马秀英", D(1950, 7, 7), 64, health="chronic", employment="retired"),),
        statuses=((D(2026, 6, 5), "visit", {"transfer_income": "7800", "medical_expense": "2600",
                                            "housing_safety": "C"}),),
        tags=(Tag("dibao_edge", D(2025, 8, 1), "垫民发〔2025〕131号", "独居老人，人均月收入低于低保标准的 1.5 倍"),),
    ),
    DemoHousehold(
        TUANJIE, "新民镇团结社区幸福路 18 号", "13896470011", "6228480468123450110",
        (_p("郑海", D(1985, 12, 3), 75, employment="flexible"),
         _p("郑可欣", D(2016, 3, 18), 86, "child", health="serious", employment="student", schooling="primary")),
        statuses=((D(2026, 9, 1), "visit", {"wage_income": "36000", "medical_expense": "31000",
                                            "risk_points": "illness"}),),
        tags=(Tag("rigid_hardship", D(2026, 10, 1), "垫民发〔2026〕203号",
                  "女儿患白血病，近 12 个月医疗自付占家庭收入 86%"),),
    ),
    DemoHousehold(
        TUANJIE, "新民镇团结社区新街 5 号", "13896470012", "6228480468123450128",
        (_p("唐文", D(1999, 4, 27), 88, employment="flexible"),
         _p("唐小宝", D(2022, 10, 10), 91, "child", employment="preschool", schooling="preschool")),
        statuses=((D(2026, 7, 30), "application", {"wage_income": "21600", "transfer_income": "1200"}),),
        tags=(Tag("monitoring", D(2026, 8, 15), "垫农发〔2026〕58号", "单亲家庭，就业不稳定", "edge"),),
    ),
    DemoHousehold(
        HONGYAN, "沙坪镇红岩村2组9号", "15123580013", "6228480468123450136",
        (_p("蒋大海", D(1958, 5, 15), 35, health="chronic", employment="farming"),
         _p("邓秀珍", D(1960, 11, 29), 46, "spouse", employment="farming")),
        statuses=((D(2026, 4, 9), "visit", {"business_income": "3500", "transfer_income": "3600",
                                            "medical_expense": "2800"}),),
        tags=(Tag("dibao", D(2024, 1, 1), "垫民发〔2023〕301号", "夫妻年老多病，人均月收入低于低保标准"),),
        visits=((20, "shaping", "低保年度复核", "夫妻二人在家，住房已完成危房改造。"),),
    ),
    DemoHousehold(
        HONGYAN, "沙坪镇红岩村4组1号", "15123580014", "6228480468123450144",
        (_p("冯建军", D(1977, 9, 9), 57, employment="migrant"),
         _p("彭丽娟", D(1979, 1, 21), 68, "spouse", employment="farming"),
         _p("冯小雨", D(2011, 6, 1), 70, "child", employment="student", schooling="junior")),
        statuses=((D(2026, 3, 3), "import", {"wage_income": "40000", "employment_costs": "5000",
                                             "business_income": "4000"}),),
    ),
    DemoHousehold(
        JINZHU, "沙坪镇金竹村3组14号", "15123580015", "6228480468123450151",
        (_p("曾祥林", D(1944, 4, 4), 79, health="chronic", employment="retired"),),
        statuses=((D(2026, 2, 12), "visit", {"transfer_income": "2160", "housing_safety": "B"}),),
        tags=(Tag("tekun", D(2020, 6, 1), "垫民发〔2020〕97号", "年满 60 周岁，无劳动能力、无生活来源、无法定赡养人"),),
    ),
)


def seed_demo_households(session: Session, today: date | None = None) -> int:
    """Add the demo households not yet registered; returns how many were added."""
    today = today or today_in_china()
    heads = {h.people[0].id_number for h in HOUSEHOLDS}
    known = set(session.exec(select(Member.id_number).where(col(Member.id_number).in_(heads))).all())
    staff = {u.username: u for u in session.exec(select(User)).all()}
    added = 0
    for spec in HOUSEHOLDS:
        if spec.people[0].id_number not in known:
            _add(session, spec, staff, today)
            added += 1
    return added


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _record(session: Session, entity: str, entity_id: int, new: dict, action: str = "create") -> None:
    audit.record(session, actor=None, action=action, entity=entity, entity_id=entity_id,
                 new=new, username="system", note=NOTE)


def _add(session: Session, spec: DemoHousehold, staff: dict[str, User], today: date) -> None:
    household = Household(area_code=spec.area_code, address=spec.address, phone=spec.phone,
                          bank_name=BANK, bank_account=spec.bank_account, note=spec.note)
    session.add(household)
    session.flush()
    _record(session, "household", household.id, {"area_code": spec.area_code, "address": spec.address,
                                                 "head_name": spec.people[0].name})
    for person in spec.people:
        values = {"id_number": person.id_number, "name": person.name, "relation": person.relation,
                  **person.facts}
        if _age(person.birth, today) >= 60:  # the demo outlives its birthdays: the rule decides then
            values.pop("labour_capacity", None)
        facts = registry_input.member(values, today=today)
        facts["in_school"] = facts["schooling"] not in ("", "dropped_out")
        member = Member(household_id=household.id, **facts)
        session.add(member)
        session.flush()
        _record(session, "member", member.id, {"household_id": household.id, "name": person.name,
                                               "relation": person.relation})
    for recorded_on, source, values in spec.statuses:
        row = EconomicStatus(household_id=household.id, recorded_on=recorded_on, source=source,
                             **registry_input.economic_status(values))
        session.add(row)
        session.flush()
        _record(session, "economic_status", row.id, {"household_id": household.id,
                                                     "recorded_on": recorded_on, "source": source})
    for t in spec.tags:
        row = HouseholdTag(household_id=household.id, tag=t.tag, subtype=t.subtype, start_date=t.start,
                           decision_ref=t.decision_ref, basis=t.basis, end_date=t.end, end_reason=t.end_reason)
        session.add(row)
        session.flush()
        _record(session, "household_tag", row.id, {"household_id": household.id, "tag": t.tag,
                                                   "start_date": t.start, "decision_ref": t.decision_ref})
        if t.end:
            _record(session, "household_tag", row.id, {"end_date": t.end, "end_reason": t.end_reason},
                    action="update")
    for days_ago, username, purpose, findings in spec.visits:
        visitor = staff.get(username)
        row = Visit(household_id=household.id, visited_on=today - timedelta(days=days_ago),
                    visitor_user_id=visitor.id if visitor else None,
                    visitor_name=visitor.display_name if visitor else "演示走访人员",
                    purpose=purpose, findings=findings)
        session.add(row)
        session.flush()
        _record(session, "visit", row.id, {"household_id": household.id, "visited_on": row.visited_on})
    refresh_summary(session, household)
