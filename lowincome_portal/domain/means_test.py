"""家庭经济状况核算 (the means test): household facts + policy numbers -> per-capita income,
the tags the household qualifies for, the one to recommend, and the reasons in Chinese.

Pure Python. The caller hands in the policy numbers in force on the assessment date, so the
same facts can be re-assessed with the numbers of any day. The rules, as DOMAIN.md states
them; every number is a policy parameter, "below"/"above" are strict and "within a limit"
allows equality:

Income. Household income (12 months) = max(wages - employment costs, 0) + net business +
    net property + net transfer income. Per-capita monthly income = income / 12 / members;
    per-capita annual income = income / members. Both are rounded half-up to the fen and the
    rounded figures are compared, so the numbers in the reasons are the numbers decided.
Assets within limits. Deposits per member (rounded to the fen) <= deposit_limit_per_capita,
    vehicles <= vehicle_limit, extra houses <= extra_house_limit, businesses <= business_limit.
    One set of limits serves every tag (a county with separate 特困 limits adds parameters).
Rigid spending. Medical self-pay + education + disability care over 12 months. It is "large"
    when it is above rigid_share x household income (compared exactly, not via the rounded
    ratio). rigid_ratio = rigid / income to 4 places; with zero income the ratio is undefined
    (None) and any positive rigid spending counts as large, none does not.
Age and labour capacity. Age comes from the ID number as of the assessment date. Labour
    capacity is the recorded one, except that the county's rule (under 16, 60+, disability
    grade 1-2, grade 3 intellectual or mental) makes it "none": the rule wins over a record
    made before someone turned 60.
特困 (tekun). Every member is aged 60+, disabled (grade 1-4) or a minor (under 16, or under
    18 and still at school - the national rule keeps minors at school in 特困 support), has
    no labour capacity and no legal supporter able to support them; and, because "no source
    of livelihood" means income below the 低保 standard with assets within limits, the
    household also meets the 低保 income and asset conditions.
低保 (dibao). Per-capita monthly income below dibao_standard_monthly; assets within limits.
低保边缘 (dibao_edge). Not 低保/特困; per-capita monthly income below edge_multiplier x the
    standard (rounded to the fen); assets within limits.
刚性支出困难 (rigid_hardship). Not 低保/特困; per-capita annual income below
    income_reference_annual (last year's local per-capita disposable income); rigid spending
    large; assets within limits (the 2024 ministry opinion asks for that too).
防返贫监测 (monitoring). Per-capita annual income below monitoring_line_annual, or rigid
    spending large. An additive flag; the "sudden severe difficulty" kind is judged on the
    visit, not computed here.
Recommendation (就高不就低). The first qualifying tag in PRIORITY. 特困 and 低保 exclude each
    other: a 特困 household meets the 低保 conditions too, and PRIORITY puts 特困 first.
    Monitoring is recommended only when nothing else qualifies; None when nothing does.
"""

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .errors import ValidationError
from .idcard import parse_resident_id
from .registry import DIBAO, DIBAO_EDGE, LABOUR_CAPACITY, MONITORING, RIGID_HARDSHIP, TAG_LABELS, TEKUN
from .registry_input import no_labour_by_rule

# 就高不就低: the higher support first. Monitoring is not here: it is an additive flag.
PRIORITY = (TEKUN, DIBAO, RIGID_HARDSHIP, DIBAO_EDGE)

FEN = Decimal("0.01")
RATIO_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MemberFacts:
    id_number: str
    name: str
    labour_capacity: str  # full | partial | none
    disability_grade: int | None = None  # 1-4
    in_school: bool = False
    has_supporter: bool = False  # a legal supporter outside the household able to support
    disability_type: str = ""  # registry code; only grade 3 intellectual/mental matters here


@dataclass(frozen=True)
class Income:
    wage: Decimal = ZERO
    business: Decimal = ZERO
    property: Decimal = ZERO
    transfer: Decimal = ZERO


@dataclass(frozen=True)
class RigidExpenditure:
    medical: Decimal = ZERO
    education: Decimal = ZERO
    disability_care: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.medical + self.education + self.disability_care


@dataclass(frozen=True)
class Assets:
    deposits: Decimal = ZERO  # yuan
    vehicles: int = 0
    extra_houses: int = 0  # houses beyond the one lived in
    businesses: int = 0  # registered businesses


@dataclass(frozen=True)
class HouseholdFacts:
    as_of: date
    members: tuple[MemberFacts, ...]
    income_12m: Income = Income()
    employment_costs_12m: Decimal = ZERO
    rigid_expenditure_12m: RigidExpenditure = RigidExpenditure()
    assets: Assets = Assets()
    notes: tuple[str, ...] = ()  # caveats the caller wants shown first (e.g. no status recorded)


@dataclass(frozen=True)
class Policy:
    """The numbers in force on the assessment date; field names are the parameter codes."""

    dibao_standard_monthly: Decimal
    edge_multiplier: Decimal
    rigid_share: Decimal
    income_reference_annual: Decimal
    monitoring_line_annual: Decimal
    deposit_limit_per_capita: Decimal
    vehicle_limit: int = 0
    extra_house_limit: int = 0
    business_limit: int = 0


POLICY_CODES = tuple(f.name for f in fields(Policy))
COUNT_CODES = ("vehicle_limit", "extra_house_limit", "business_limit")
MONEY_CODES = ("dibao_standard_monthly", "income_reference_annual", "monitoring_line_annual",
               "deposit_limit_per_capita")


def policy_from_values(values) -> Policy:
    """A Policy from a mapping code -> number (Decimal, int or text); every code is required."""
    return Policy(**{code: int(Decimal(values[code])) if code in COUNT_CODES else Decimal(values[code])
                     for code in POLICY_CODES})


def policy_text(policy: Policy) -> dict[str, str]:
    """The policy as text for pages and JSON: money to the fen, factors as typed, counts whole."""
    out = {}
    for code in POLICY_CODES:
        value = getattr(policy, code)
        out[code] = _yuan(value) if code in MONEY_CODES else _num(value)
    return out


@dataclass(frozen=True)
class Assessment:
    as_of: date
    member_count: int
    household_income_12m: Decimal
    per_capita_monthly_income: Decimal
    per_capita_annual_income: Decimal
    rigid_expenditure_12m: Decimal
    rigid_ratio: Decimal | None  # None when household income is zero
    assets_within_limits: bool
    qualifies: tuple[str, ...]  # PRIORITY order, then monitoring
    recommended: str | None
    reasons: tuple[str, ...] = field(default=())


def assess(facts: HouseholdFacts, policy: Policy) -> Assessment:
    """Apply the rules of the module docstring; raises ValidationError for an empty household
    or an invalid ID number."""
    f = _figures(facts, policy)
    assets_ok = not f.asset_problems
    dibao = f.monthly < policy.dibao_standard_monthly and assets_ok
    met = {
        TEKUN: dibao and not f.tekun_blockers,
        DIBAO: dibao,
        RIGID_HARDSHIP: (not dibao and f.annual < policy.income_reference_annual and f.rigid_large
                         and assets_ok),
        DIBAO_EDGE: not dibao and f.monthly < f.edge_line and assets_ok,
        MONITORING: f.annual < policy.monitoring_line_annual or f.rigid_large,
    }
    qualifies = tuple(tag for tag in (*PRIORITY, MONITORING) if met[tag])
    recommended = next((tag for tag in PRIORITY if met[tag]), MONITORING if met[MONITORING] else None)
    return Assessment(as_of=facts.as_of, member_count=f.n, household_income_12m=f.income,
                      per_capita_monthly_income=f.monthly, per_capita_annual_income=f.annual,
                      rigid_expenditure_12m=f.rigid, rigid_ratio=f.ratio, assets_within_limits=assets_ok,
                      qualifies=qualifies, recommended=recommended,
                      reasons=tuple(_reasons(facts, policy, f, met, qualifies, recommended)))


def summary(assessment: Assessment, policy: Policy) -> dict:
    """The assessment as plain, JSON-ready values (numbers as text) for pages and the CLI."""
    a = assessment
    return {
        "as_of": a.as_of.isoformat(),
        "member_count": a.member_count,
        "household_income_12m": _yuan(a.household_income_12m),
        "per_capita_monthly_income": _yuan(a.per_capita_monthly_income),
        "per_capita_annual_income": _yuan(a.per_capita_annual_income),
        "rigid_expenditure_12m": _yuan(a.rigid_expenditure_12m),
        "rigid_ratio": None if a.rigid_ratio is None else f"{a.rigid_ratio:.4f}",
        "assets_within_limits": a.assets_within_limits,
        "qualifies": list(a.qualifies),
        "qualifies_labels": [TAG_LABELS[t] for t in a.qualifies],
        "recommended": a.recommended,
        "recommended_label": TAG_LABELS[a.recommended] if a.recommended else None,
        "reasons": list(a.reasons),
        "policy": policy_text(policy),
    }


# --- the pieces -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Figures:
    """What the rules compare, worked out once."""

    n: int
    income: Decimal
    monthly: Decimal
    annual: Decimal
    rigid: Decimal
    ratio: Decimal | None
    rigid_large: bool
    edge_line: Decimal
    asset_problems: list[str]
    tekun_blockers: list[str]
    anyone_in_group: bool  # someone aged, disabled or a minor


def _figures(facts: HouseholdFacts, policy: Policy) -> _Figures:
    n = len(facts.members)
    if n == 0:
        raise ValidationError("家庭没有共同生活成员，无法核算")
    income = _household_income(facts)
    rigid = facts.rigid_expenditure_12m.total
    blockers, anyone_in_group = _tekun_blockers(facts)
    return _Figures(
        n=n, income=income, monthly=_fen(income / 12 / n), annual=_fen(income / n), rigid=rigid,
        ratio=(rigid / income).quantize(RATIO_PLACES, ROUND_HALF_UP) if income > 0 else None,
        rigid_large=rigid > policy.rigid_share * income,
        edge_line=_fen(policy.edge_multiplier * policy.dibao_standard_monthly),
        asset_problems=_asset_problems(facts.assets, n, policy),
        tekun_blockers=blockers, anyone_in_group=anyone_in_group)


def _reasons(facts, policy: Policy, f: _Figures, met: dict, qualifies, recommended) -> list[str]:
    reasons = list(facts.notes)
    reasons.append(_income_sentence(facts, f))
    reasons.append(_below_sentence("低保标准", f.monthly, policy.dibao_standard_monthly, "", f.asset_problems,
                                   "低保", met[DIBAO], detail=True))
    if met[TEKUN]:
        reasons.append("家庭成员均为年满 60 周岁、残疾或未成年且无劳动能力、无有能力的法定赡养抚养扶养义务人的人员，"
                       "且收入低于低保标准、财产状况符合规定，符合特困人员条件；特困与低保不同时认定，特困救助供养标准较高")
    elif not f.tekun_blockers:
        reasons.append("家庭成员均符合特困人员的身份条件，但收入或财产状况不符合低保条件，不符合特困人员条件")
    elif f.anyone_in_group:
        # Said only when someone is aged, disabled or a minor: otherwise 特困 is not a question.
        reasons.append(f"{'；'.join(f.tekun_blockers)}，不符合特困人员条件")
    if not met[DIBAO]:
        reasons.append(_below_sentence("低保边缘标准", f.monthly, f.edge_line,
                                       f"（低保标准的 {_num(policy.edge_multiplier)} 倍）", f.asset_problems,
                                       "低保边缘", met[DIBAO_EDGE], detail=False))
        reasons.append(_rigid_sentence(policy, f, met[RIGID_HARDSHIP]))
    # The rigid-spending numbers are said once: in the 刚性 sentence, or here when that is absent.
    rigid_detail = _rigid_clause(policy, f) if met[DIBAO] else None
    reasons.append(_monitoring_sentence(policy, f, met[MONITORING], rigid_detail))
    reasons.append(_recommendation_sentence(recommended, qualifies))
    return reasons


def _below_sentence(line_name: str, monthly: Decimal, line: Decimal, line_note: str, asset_problems: list[str],
                    tag_name: str, met: bool, detail: bool) -> str:
    """The sentence "income below <line>, assets within limits, so <tag> is met" and its negations."""
    below = monthly < line
    text = (f"家庭月人均收入 {_yuan(monthly)} 元，{'低于' if below else '不低于'}{line_name} "
            f"{_yuan(line)} 元/人·月{line_note}")
    if below:
        if not asset_problems:
            text += "，且财产状况符合规定"
        else:
            # The asset problems are listed once, in the 低保 sentence; later ones refer to it.
            text += "，但财产状况不符合规定" + (f"（{'；'.join(asset_problems)}）" if detail else "")
    return text + f"，{'符合' if met else '不符合'}{tag_name}条件"


def _household_income(facts: HouseholdFacts) -> Decimal:
    i = facts.income_12m
    # Employment costs only offset wages: they cannot make the household's income negative.
    wages = max(i.wage - facts.employment_costs_12m, ZERO)
    return wages + i.business + i.property + i.transfer


def _asset_problems(assets: Assets, n: int, policy: Policy) -> list[str]:
    problems = []
    per_capita = _fen(assets.deposits / n)
    if per_capita > policy.deposit_limit_per_capita:
        problems.append(f"人均存款 {_yuan(per_capita)} 元，超过限额 {_yuan(policy.deposit_limit_per_capita)} 元/人")
    for count, limit, what, unit in (
        (assets.vehicles, policy.vehicle_limit, "机动车辆", "辆"),
        (assets.extra_houses, policy.extra_house_limit, "自住房以外房产", "套"),
        (assets.businesses, policy.business_limit, "登记的经营主体", "个"),
    ):
        if count > limit:
            problems.append(f"{what} {count} {unit}，超过限额 {limit} {unit}")
    return problems


def _tekun_blockers(facts: HouseholdFacts) -> tuple[list[str], bool]:
    """For each member who keeps the household out of 特困, why (empty when none does); and
    whether anyone is aged, disabled or a minor."""
    blockers, anyone_in_group = [], False
    for m in facts.members:
        age = parse_resident_id(m.id_number, today=facts.as_of, field=f"成员{m.name}的身份证号").age_on(facts.as_of)
        why = []
        minor = age < 16 or (age < 18 and m.in_school)
        if age >= 60 or m.disability_grade in (1, 2, 3, 4) or minor:
            anyone_in_group = True
        else:
            why.append("不属于老年人、残疾人或未成年人")
        if no_labour_by_rule(age, m.disability_type, m.disability_grade) is None and m.labour_capacity != "none":
            why.append(f"有劳动能力（{LABOUR_CAPACITY.get(m.labour_capacity, m.labour_capacity)}）")
        if m.has_supporter:
            why.append("有具备赡养、抚养或扶养能力的法定义务人")
        if why:
            blockers.append(f"成员{m.name}（{age} 周岁）{'，'.join(why)}")
    return blockers, anyone_in_group


def _income_sentence(facts: HouseholdFacts, f: _Figures) -> str:
    i, costs = facts.income_12m, facts.employment_costs_12m
    parts = []  # only the classes the household has, so the sentence stays readable
    if i.wage or costs:
        parts.append(f"工资性收入 {_yuan(i.wage)} 元" + (f"扣除就业成本 {_yuan(costs)} 元" if costs else ""))
    for amount, name in ((i.business, "经营净收入"), (i.property, "财产净收入"), (i.transfer, "转移净收入")):
        if amount:
            parts.append(f"{name} {_yuan(amount)} 元")
    detail = f"（{'，'.join(parts)}）" if parts else ""
    return (f"近 12 个月家庭收入 {_yuan(f.income)} 元{detail}，共同生活成员 {f.n} 人，"
            f"月人均收入 {_yuan(f.monthly)} 元，年人均收入 {_yuan(f.annual)} 元")


def _rigid_clause(policy: Policy, f: _Figures) -> str:
    share = _pct(policy.rigid_share)
    if f.ratio is None:
        if f.rigid_large:
            return f"近 12 个月刚性支出 {_yuan(f.rigid)} 元，家庭收入为零，视为超过家庭收入的 {share}"
        return "近 12 个月无刚性支出，家庭收入为零"
    return (f"近 12 个月刚性支出 {_yuan(f.rigid)} 元，占家庭收入 {_yuan(f.income)} 元的 {_fen(f.ratio * 100)}%，"
            f"{'超过' if f.rigid_large else '未超过'} {share}")


def _rigid_sentence(policy: Policy, f: _Figures, met: bool) -> str:
    ref = policy.income_reference_annual
    text = (f"年人均收入 {_yuan(f.annual)} 元，{'低于' if f.annual < ref else '不低于'}上年度当地居民人均可支配收入 "
            f"{_yuan(ref)} 元；{_rigid_clause(policy, f)}")
    if f.annual < ref and f.rigid_large and f.asset_problems:
        text += "，但财产状况不符合规定"
    return text + f"，{'符合' if met else '不符合'}刚性支出困难条件"


def _monitoring_sentence(policy: Policy, f: _Figures, met: bool, rigid_detail: str | None) -> str:
    line = policy.monitoring_line_annual
    text = f"年人均收入 {_yuan(f.annual)} 元，{'低于' if f.annual < line else '不低于'}防返贫监测收入线 {_yuan(line)} 元"
    text += (f"；{rigid_detail}" if rigid_detail
             else f"，刚性支出{'超过' if f.rigid_large else '未超过'}家庭收入的 {_pct(policy.rigid_share)}")
    return text + ("，可纳入防返贫监测对象（附加标识，与其他救助可同时存在）" if met else "，暂不符合防返贫监测条件")


def _recommendation_sentence(recommended: str | None, qualifies: tuple[str, ...]) -> str:
    if recommended is None:
        return "未符合任何救助帮扶认定条件"
    if recommended == MONITORING:
        return "仅符合防返贫监测条件，建议纳入防返贫监测对象"
    met = "、".join(TAG_LABELS[t] for t in qualifies)
    return f"符合：{met}；按就高不就低原则，建议认定为{TAG_LABELS[recommended]}"


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, ROUND_HALF_UP)


def _yuan(value: Decimal) -> str:
    return f"{_fen(Decimal(value))}"


def _num(value) -> str:
    """A factor or count without trailing zeros: 1.5, 0.7, 0."""
    return f"{Decimal(value).normalize():f}"


def _pct(share: Decimal) -> str:
    return f"{_num(share * 100)}%"
