"""Synthetic households for the demo county: people, household make-up, economic status
and tags that look like a rural Chongqing county's registry. Pure Python from a seeded
random.Random - no database; demo/synthetic.py writes what this builds.

What the data looks like, and why:
- Household size 1-7 with a rural shape (many one- and two-person elderly households,
  couples with children, three generations); `household_sizes` then nudges the sizes so
  n households hold exactly 3n members (150,000 for 50,000), which keeps benchmarks
  comparable.
- Ages follow the household's make-up (elderly alone or as couples, couples with children,
  grandparents with left-behind grandchildren, three generations): about 29% of people are
  60 or over and 14% under 16.
- Resident IDs: 垫江县's area code as it was when the number was assigned (500231 for
  people born since 1997; 512322 / 511421, the county's codes under Sichuan, for those born
  before - as real cards are, and python-stdnum's cn.ric refuses 500231 with an earlier
  birth year), the birth date, a sequence whose last digit is odd for men and even for
  women, and the GB 11643 check digit. The county uses
  sequence numbers 000-499 (COUNTY_SEQUENCES) and import files 500-999
  (IMPORT_SEQUENCES), so the two never clash.
- Labour capacity follows the rules (none under 16, at 60 and over, grade 1-2 disability,
  grade 3 intellectual/mental disability, serious illness); about 6% of people are disabled.
- Tags with the shares in TAG_SHARES (低保 6%, 特困 1.5%, 低保边缘 3%, 刚性支出困难 1%,
  防返贫监测对象 4% of households, exact per chunk), drawn towards the households that need
  them (no working member, disability, serious illness); 特困 only where nobody can work and
  no supporter exists. Incomes are then drawn to fit the tag (低保/特困 below the standard,
  边缘 1-1.45 x, 刚性 with rigid spending above 75% of income, ...). Some households carry
  ended periods (exited 低保, eliminated monitoring risk, expired 刚性) as history.

The money figures (低保 standard, monitoring line, rural per-capita income) are demo
assumptions for shaping data, not policy parameters: the portal's rules read the policy
parameters, never these.
"""

import math
import random
from bisect import bisect
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate
from operator import mul

from faker import Faker
from faker.providers.person.zh_CN import Provider as ZhPersonProvider

from ..domain import registry as codes
from ..domain.registry_input import no_labour_by_rule

# 垫江县's code in the ID number depends on when the number was assigned: 512322 under
# 涪陵地区 (to 1995), 511421 under 涪陵市 (1995-1997), 500231 since Chongqing (1997).
# python-stdnum's cn.ric checks the code against the birth year (the portal's own check does not).
ID_AREA_CODES = ((1997, "500231"), (1996, "511421"), (0, "512322"))
COUNTY_SEQUENCES = (0, 500)    # generate_county: sequence numbers 000-499
IMPORT_SEQUENCES = (500, 1000)  # synthetic_import_rows: 500-999

# Demo money assumptions (yuan), see the module docstring.
DIBAO_MONTHLY = 640            # rural 低保 standard per person per month
MONITORING_LINE = 8000         # 防返贫 monitoring line, per person per year
RURAL_INCOME = 21500           # last year's rural per-capita disposable income

# Share of households carrying each tag now.
TAG_SHARES = {
    codes.TEKUN: 0.015,
    codes.DIBAO: 0.06,
    codes.DIBAO_EDGE: 0.03,
    codes.RIGID_HARDSHIP: 0.01,
    codes.MONITORING: 0.04,
}
TAG_ORDER = tuple(codes.TAG_LABELS)  # order of codes in Household.current_tags


# ---- small helpers ----------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_digit(body17: str) -> str:
    """GB 11643 check character of the first 17 digits."""
    return "10X98765432"[sum(map(mul, map(int, body17), _ID_WEIGHTS)) % 11]


def id_area_code(birth_year: int) -> str:
    """The six-digit area code of an ID number of someone born in 垫江县 in that year."""
    return next(code for since, code in ID_AREA_CODES if birth_year >= since)


def _luhn_complete(body: str) -> str:
    total = 0
    for i, d in enumerate(reversed(body)):
        n = int(d)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return body + str((10 - total % 10) % 10)


def _age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _yuan(value: float) -> Decimal:
    """Whole yuan as a Decimal (the columns keep two places)."""
    return Decimal(max(0, int(round(value))))


def _ri(rng: random.Random, low: int, high: int) -> int:
    """rng.randint(low, high), several times faster (this module draws millions)."""
    return low + int(rng.random() * (high - low + 1))


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    """A value from ((value, weight), ...)."""
    r = rng.random() * sum(w for _, w in table)
    for value, weight in table:
        r -= weight
        if r < 0:
            return value
    return table[-1][0]


# Household size -> share (mean ~3.03 before the exact-total nudge).
SIZE_SHARES = ((1, 0.15), (2, 0.23), (3, 0.27), (4, 0.20), (5, 0.10), (6, 0.04), (7, 0.01))
DISABILITY_KINDS = (("physical", 45), ("hearing", 15), ("visual", 12), ("mental", 10),
                    ("intellectual", 8), ("multiple", 8), ("speech", 2))
DISABILITY_GRADES = (("1", 10), ("2", 20), ("3", 30), ("4", 40))
WORK = (("migrant", 34), ("farming", 28), ("local_work", 20), ("flexible", 6), ("unemployed", 6),
        ("self_employed", 3), ("public_job", 3))
BANKS = (("重庆农村商业银行垫江支行", 70), ("中国邮政储蓄银行垫江县支行", 20), ("中国农业银行垫江支行", 10))
BANK_BINS = {"重庆农村商业银行垫江支行": "621455", "中国邮政储蓄银行垫江县支行": "621799",
             "中国农业银行垫江支行": "622848"}
MOBILE = ("133", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159",
          "177", "180", "181", "182", "187", "189", "199")
MONITORING_SUBTYPES = (("unstable", 35), ("edge", 45), ("sudden", 20))
TAG_BASIS = {
    codes.DIBAO: "家庭人均月收入低于当地农村低保标准，家庭财产状况符合规定",
    codes.TEKUN: "无劳动能力、无生活来源、无法定赡养抚养扶养义务人或其无履行能力",
    codes.DIBAO_EDGE: "家庭人均收入低于低保标准的 1.5 倍，不符合低保、特困条件，财产状况符合规定",
    codes.RIGID_HARDSHIP: "近 12 个月医疗等刚性支出超过家庭总收入的规定比例",
    codes.MONITORING: "经农户申请、部门预警和村级排查，经民主评议、乡镇审核、县级确定纳入监测",
}
ENDED_REASONS = {
    codes.DIBAO: "家庭收入超过保障标准，退出低保",
    codes.TEKUN: "经复核不再符合特困供养条件",
    codes.DIBAO_EDGE: "家庭收入稳定超过低保边缘标准，退出",
    codes.RIGID_HARDSHIP: "认定期满（12 个月）未续期",
    codes.MONITORING: "风险已消除：收入持续稳定超过监测线 6 个月以上",
}


class _Names:
    """Chinese names from Faker's zh_CN lists (surnames weighted by frequency)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        surnames = ZhPersonProvider.last_names
        self.surnames = list(surnames)
        self.surname_cum = list(accumulate(surnames.values()))
        self.male = ZhPersonProvider.first_names_male
        self.female = ZhPersonProvider.first_names_female

    def surname(self) -> str:
        r = self.rng.random() * self.surname_cum[-1]
        return self.surnames[min(bisect(self.surname_cum, r), len(self.surnames) - 1)]

    def given(self, male: bool) -> str:
        pool = self.male if male else self.female
        first = self.rng.choice(pool)
        if len(first) == 1 and self.rng.random() < 0.55:
            first = self.rng.choice(pool)[0] + first
        return first


# ---- people -----------------------------------------------------------------------------

class People:
    """Makes members: ID numbers, names and facts consistent with one another."""

    def __init__(self, rng: random.Random, today: date, sequences: tuple[int, int], taken: set[str]):
        self.rng, self.today, self.taken = rng, today, taken
        self.seq_low, self.seq_high = sequences
        self.names = _Names(rng)

    def _birth(self, age: int) -> date:
        age = max(0, min(age, 99))
        year = self.today.year - age
        try:
            anniversary = self.today.replace(year=year)
        except ValueError:  # 29 February
            anniversary = date(year, 2, 28)
        return anniversary - timedelta(days=_ri(self.rng, 1 if age == 0 else 0, 364))

    def id_number(self, birth: date, male: bool) -> str:
        rng, stem = self.rng, f"{id_area_code(birth.year)}{birth.year:04d}{birth.month:02d}{birth.day:02d}"
        pairs = (self.seq_high - self.seq_low) // 2
        for _ in range(200):
            seq = self.seq_low + 2 * int(rng.random() * pairs) + (1 if male else 0)
            body = f"{stem}{seq:03d}"
            number = body + id_check_digit(body)
            if number not in self.taken:
                self.taken.add(number)
                return number
        raise RuntimeError(f"no free ID sequence left for {birth}")

    def person(self, relation: str, age: int, male: bool, surname: str) -> dict:
        rng = self.rng
        birth = self._birth(age)
        age = _age_on(birth, self.today)
        d_type, d_grade = "", None
        p_disabled = 0.015 if age < 16 else 0.045 if age < 60 else 0.11 if age < 80 else 0.17
        if rng.random() < p_disabled:
            d_type = _pick(rng, DISABILITY_KINDS)
            d_grade = int(_pick(rng, DISABILITY_GRADES))
        r = rng.random()
        if d_type:
            health = "disabled"
        elif r < (0.005 if age < 16 else 0.02 if age < 60 else 0.05):
            health = "serious"
        elif r < (0.025 if age < 16 else 0.12 if age < 60 else 0.40):
            health = "chronic"
        else:
            health = "healthy"
        if no_labour_by_rule(age, d_type, d_grade) or health == "serious":
            labour = "none"
        elif health == "chronic" or d_grade in (3, 4):
            labour = "partial" if rng.random() < 0.6 else "full"
        else:
            labour = "full"
        schooling, in_school, employment = "", False, ""
        if age < 3:
            employment = "preschool"
        elif age < 6:
            employment = "preschool"
            if rng.random() < 0.85:
                schooling, in_school = "preschool", True
        elif age < 16:
            if age >= 12 and rng.random() < 0.003:
                schooling, employment = "dropped_out", "unemployed"
            else:
                schooling = "primary" if age < 12 else "junior" if age < 15 else _pick(
                    rng, (("senior", 65), ("vocational", 30), ("junior", 5)))
                in_school, employment = True, "student"
        elif age < 19 and rng.random() < 0.85:
            schooling = _pick(rng, (("senior", 65), ("vocational", 35)))
            in_school, employment = True, "student"
        elif age < 23 and rng.random() < 0.35:
            schooling, in_school, employment = "college", True, "student"
        elif age < 60:
            employment = "unemployed" if labour == "none" else _pick(rng, WORK)
        else:
            employment = "farming" if age < 75 and labour != "none" and rng.random() < 0.5 else "retired"
        return {
            "id_number": self.id_number(birth, male),
            "name": surname + self.names.given(male),
            "sex": "male" if male else "female",
            "birth_date": birth,
            "relation": relation,
            "labour_capacity": labour,
            "health": health,
            "disability_type": d_type,
            "disability_grade": d_grade,
            "employment": employment,
            "schooling": schooling,
            "in_school": in_school,
            "medical_insurance": rng.random() < 0.985,
            "has_supporter": age >= 60 and rng.random() < 0.75 or bool(d_type) and rng.random() < 0.3,
            "_age": age,
        }

    def household(self, size: int) -> list[dict]:
        """The members of one household of `size` people, head first."""
        rng, names = self.rng, self.names
        family = names.surname()
        elder = lambda: int(rng.triangular(60, 96, 70))  # noqa: E731
        plan: list[tuple[str, int, bool]] = []  # (relation, age, male)

        def couple(head_age: int, head_male: bool = True) -> None:
            plan.append(("head", head_age, head_male))
            spouse_age = head_age + (_ri(rng, -6, 2) if head_male else _ri(rng, -2, 6))
            plan.append(("spouse", max(18, min(spouse_age, 99)), not head_male))

        def kids(relation: str, parent_age: int, n: int, oldest: int = 99) -> None:
            for _ in range(n):
                plan.append((relation, max(0, min(parent_age - _ri(rng, 21, 36), oldest)), rng.random() < 0.53))

        kind = rng.random()
        if size == 1:
            if kind < 0.72:
                plan.append(("head", elder(), rng.random() < 0.45))
            else:
                plan.append(("head", int(rng.triangular(30, 60, 54)), rng.random() < 0.75))
        elif size == 2:
            if kind < 0.55:
                couple(elder())
            elif kind < 0.70:
                head = _ri(rng, 58, 82)
                plan.append(("head", head, rng.random() < 0.5))
                plan.append(("grandchild", _ri(rng, 2, 15), rng.random() < 0.53))
            elif kind < 0.88:
                couple(int(rng.triangular(40, 60, 55)))
            else:
                parent = _ri(rng, 30, 52)
                plan.append(("head", parent, rng.random() < 0.45))
                kids("child", parent, 1)
        elif size == 3:
            if kind < 0.58:
                head = int(rng.triangular(26, 60, 51))
                couple(head)
                kids("child", head, 1)
            elif kind < 0.73:
                couple(_ri(rng, 55, 78))
                plan.append(("grandchild", _ri(rng, 1, 16), rng.random() < 0.53))
            elif kind < 0.90:
                head = elder()
                couple(head)
                plan.append(("child", max(22, head - _ri(rng, 24, 34)), rng.random() < 0.65))
            else:
                parent = _ri(rng, 30, 50)
                plan.append(("head", parent, rng.random() < 0.4))
                kids("child", parent, 2)
        else:
            # Three-generation households: the middle couple heads when young grandparents
            # still work, else the grandfather heads with his son's family.
            head = int(rng.triangular(30, 58, 49))
            if size == 4 and kind < 0.62:
                couple(head)
                kids("child", head, 2)
            elif kind < 0.6:
                couple(head)
                elders = 1 if size <= 5 else 2
                kids("child", head, size - 2 - elders)
                father = min(head + _ri(rng, 23, 34), 97)
                plan.append(("parent", father, elders == 2 or rng.random() < 0.4))
                if elders == 2:
                    plan.append(("parent", min(father + _ri(rng, -5, 2), 97), False))
            else:
                grand = _ri(rng, 56, 80)
                couple(grand)
                son = max(22, grand - _ri(rng, 23, 32))
                plan.append(("child", son, True))
                plan.append(("child_in_law", max(20, son + _ri(rng, -4, 2)), False))
                kids("grandchild", son, size - 4, oldest=max(0, min(son - 20, 30)))
        plan = plan[:size]
        while len(plan) < size:
            plan.append(("grandchild", _ri(rng, 0, 15), rng.random() < 0.53))
        members = []
        for relation, age, male in plan:
            if relation in ("head", "child", "grandchild", "parent", "sibling") and male:
                surname = family
            elif relation in ("child", "grandchild"):
                surname = family if rng.random() < 0.9 else names.surname()
            else:
                surname = names.surname()
            members.append(self.person(relation, age, male, surname))
        return members


# ---- households -------------------------------------------------------------------------

def _need(members: list[dict]) -> tuple[float, int]:
    """How strongly a household's make-up draws a tag, and its working members."""
    workers = sum(1 for m in members if m["labour_capacity"] != "none" and 16 <= m["_age"] < 60
                  and not m["in_school"])
    score = 1.0
    if workers == 0:
        score += 6
    elif workers == 1 and len(members) >= 3:
        score += 2
    score += 3 * sum(1 for m in members if m["disability_type"])
    score += 3 * sum(1 for m in members if m["health"] == "serious")
    score += 0.5 * sum(1 for m in members if m["health"] == "chronic")
    return score, workers


def _weighted_sample(rng: random.Random, candidates: list[tuple[int, float]], k: int) -> list[int]:
    """k indexes drawn without replacement, each with probability growing with its weight."""
    if k <= 0 or not candidates:
        return []
    keyed = sorted(((rng.random() ** (1.0 / w), i) for i, w in candidates), reverse=True)
    return [i for _, i in keyed[:k]]


class Quota:
    """Exact cumulative counts: after n households, round(share x n) carry each tag."""

    def __init__(self):
        self.given = dict.fromkeys(TAG_SHARES, 0)

    def take(self, tag: str, done_after: int) -> int:
        want = round(TAG_SHARES[tag] * done_after) - self.given[tag]
        return max(0, want)


def _assign_tags(rng: random.Random, homes: list[dict], quota: Quota, done_after: int) -> None:
    for h in homes:
        h["tags"] = []
    free = set(range(len(homes)))

    def draw(tag: str, pool: list[tuple[int, float]]) -> None:
        chosen = _weighted_sample(rng, pool, quota.take(tag, done_after))
        quota.given[tag] += len(chosen)
        for i in chosen:
            homes[i]["tags"].append(tag)

    # 特困: no one in the household can work, small household, no supporter able to help
    draw(codes.TEKUN, [(i, 1 + 3 * (len(h["members"]) == 1)) for i, h in enumerate(homes)
                       if len(h["members"]) <= 2 and all(m["labour_capacity"] == "none" for m in h["members"])])
    free -= {i for i, h in enumerate(homes) if h["tags"]}
    draw(codes.DIBAO, [(i, homes[i]["need"]) for i in sorted(free)])
    free -= {i for i, h in enumerate(homes) if h["tags"]}
    draw(codes.DIBAO_EDGE, [(i, homes[i]["need"]) for i in sorted(free)])
    free -= {i for i, h in enumerate(homes) if h["tags"]}
    draw(codes.RIGID_HARDSHIP, [(i, 1 + 5 * sum(m["health"] in ("serious", "disabled") or m["schooling"] == "college"
                                                 for m in homes[i]["members"])) for i in sorted(free)])
    # 监测 is additive: many monitored households also hold 低保 or 边缘.
    draw(codes.MONITORING, [(i, h["need"] * (2.5 if set(h["tags"]) & {codes.DIBAO, codes.DIBAO_EDGE} else 1))
                            for i, h in enumerate(homes) if codes.TEKUN not in h["tags"]])
    for h in homes:
        if codes.TEKUN in h["tags"]:
            for m in h["members"]:
                m["has_supporter"] = False


_WAGE_JOBS = frozenset(("migrant", "local_work", "flexible", "public_job"))
_MEDICAL = {"healthy": (0, 600), "chronic": (1000, 5000), "serious": (5000, 40000), "disabled": (500, 4000)}
_EDUCATION = {"preschool": 2500, "primary": 800, "junior": 1500, "senior": 4000, "vocational": 3000,
              "college": 12000}


def _economics(rng: random.Random, h: dict, today: date) -> dict:
    members, tags, size = h["members"], set(h["tags"]), len(h["members"])
    standard = DIBAO_MONTHLY
    if codes.TEKUN in tags:
        pc_month = standard * rng.uniform(0.3, 0.9)
    elif codes.DIBAO in tags:
        pc_month = standard * rng.uniform(0.2, 0.95)
    elif codes.DIBAO_EDGE in tags:
        pc_month = standard * rng.uniform(1.02, 1.45)
    elif codes.RIGID_HARDSHIP in tags:
        pc_month = rng.uniform(1.6 * standard, RURAL_INCOME / 12 * 0.95)
    elif codes.MONITORING in tags:
        # above the 边缘 line (else it would hold 低保/边缘); monitored for its spending or risk
        pc_month = standard * rng.uniform(1.5, 2.2)
    else:
        pc_month = max(1.6 * standard, MONITORING_LINE / 12 * 1.1,
                       rng.lognormvariate(math.log(RURAL_INCOME * 0.8 / 12), 0.45))
    total = pc_month * 12 * size
    uniform = rng.uniform
    pensions = medical = education = care = 0.0
    wage_earners = farmers = migrants = businesses = 0
    for m in members:
        if m["_age"] >= 60:
            pensions += uniform(1500, 2600)
        if m["disability_grade"] in (1, 2):
            pensions += uniform(700, 1300)
            care += uniform(1000, 6000)
        job = m["employment"]
        if job in _WAGE_JOBS:
            wage_earners += 1
            migrants += job == "migrant"
        elif job in ("farming", "self_employed"):
            farmers += 1
            businesses += job == "self_employed"
        low, high = _MEDICAL[m["health"]]
        medical += uniform(low, high)
        if m["schooling"] in _EDUCATION:
            education += _EDUCATION[m["schooling"]] * uniform(0.6, 1.4)
    transfer = min(total, pensions)
    rest = total - transfer
    property_income = rest * uniform(0, 0.04)
    rest -= property_income
    if wage_earners + farmers == 0:
        wage = business = 0.0
        transfer += rest  # support from children living elsewhere (赡养费)
    else:
        wage = rest * (3 * wage_earners) / (3 * wage_earners + farmers)
        business = rest - wage
    costs = wage * uniform(0.05, 0.12) if migrants else 0.0
    if codes.RIGID_HARDSHIP in tags:
        medical = max(medical, total * rng.uniform(0.75, 1.6) - education - care)
    elif tags == {codes.MONITORING}:
        medical = max(medical, total * rng.uniform(0.3, 0.9))
    needy = bool(tags)
    deposits = rng.uniform(0, 8000) if needy else rng.lognormvariate(math.log(25000), 0.9)
    vehicles = (1 if rng.random() < 0.01 else 0) if needy else (1 if rng.random() < 0.2 else 0)
    housing = _pick(rng, (("A", 70), ("B", 27), ("C", 2.5), ("D", 0.5)) if needy else
                    (("A", 85), ("B", 14), ("C", 0.8), ("D", 0.2)))
    risk = []
    if codes.MONITORING in tags:
        candidates = []
        if any(m["health"] == "serious" for m in members):
            candidates.append("illness")
        if any(m["disability_type"] for m in members):
            candidates.append("disability")
        if any(m["schooling"] in ("college", "senior") for m in members):
            candidates.append("schooling")
        if h["workers"] == 0:
            candidates.append("lack_of_labour")
        if migrants:
            candidates.append("unstable_work")
        candidates += ["disaster", "accident", "farming_failure"] if not candidates else []
        risk = sorted(set(rng.sample(candidates, min(len(candidates), _ri(rng, 1, 2)))))
    elif codes.RIGID_HARDSHIP in tags:
        risk = ["illness"]
    return {
        "household_id": h["id"],
        "recorded_on": today - timedelta(days=_ri(rng, 10, 300)),
        "source": "visit" if rng.random() < 0.7 else "import",
        "wage_income": _yuan(wage + costs),
        "business_income": _yuan(business),
        "property_income": _yuan(property_income),
        "transfer_income": _yuan(transfer),
        "employment_costs": _yuan(costs),
        "deposits": _yuan(deposits),
        "vehicles": vehicles,
        "extra_houses": 0 if needy or rng.random() > 0.03 else 1,
        "businesses": businesses,
        "medical_expense": _yuan(medical),
        "education_expense": _yuan(education),
        "disability_care_expense": _yuan(care),
        "housing_safety": housing,
        "drinking_water_safe": rng.random() < 0.995,
        "compulsory_education_ok": not any(m["schooling"] == "dropped_out" for m in members),
        "medical_insurance_ok": all(m["medical_insurance"] for m in members),
        "risk_points": " ".join(risk),
        "recorded_by": None,
    }


def _decision_ref(rng: random.Random, tag: str, start: date) -> str:
    office = "垫农防" if tag == codes.MONITORING else "垫民救"
    return f"{office}〔{start.year}〕{_ri(rng, 1, 400)}号"


def _tag_rows(rng: random.Random, h: dict, today: date) -> list[dict]:
    rows = []

    def row(tag: str, start: date, end: date | None = None, subtype: str = "") -> None:
        rows.append({"household_id": h["id"], "tag": tag, "subtype": subtype, "start_date": start,
                     "end_date": end, "decision_ref": _decision_ref(rng, tag, start), "basis": TAG_BASIS[tag],
                     "end_reason": ENDED_REASONS[tag] if end else "", "created_by": None})

    days = {codes.DIBAO: (60, 3650), codes.TEKUN: (90, 4000), codes.DIBAO_EDGE: (45, 700),
            codes.RIGID_HARDSHIP: (15, 350), codes.MONITORING: (30, 1800)}
    for tag in h["tags"]:
        start = today - timedelta(days=_ri(rng, *days[tag]))
        subtype = _pick(rng, MONITORING_SUBTYPES) if tag == codes.MONITORING else ""
        if tag in (codes.DIBAO, codes.DIBAO_EDGE) and rng.random() < 0.2 and start.year > 2016:
            # an earlier period: left 低保 when income rose, came back (or moved to 边缘)
            ended = start - timedelta(days=_ri(rng, 1, 200))
            row(codes.DIBAO, ended - timedelta(days=_ri(rng, 400, 2000)), ended)
        row(tag, start, subtype=subtype)
    if not h["tags"]:
        r = rng.random()
        if r < 0.03:
            end = today - timedelta(days=_ri(rng, 30, 1500))
            row(codes.DIBAO, end - timedelta(days=_ri(rng, 300, 2500)), end)
        elif r < 0.05:
            end = today - timedelta(days=_ri(rng, 30, 700))
            row(codes.MONITORING, end - timedelta(days=_ri(rng, 200, 900)), end,
                subtype=_pick(rng, MONITORING_SUBTYPES))
        elif r < 0.055:
            end = today - timedelta(days=_ri(rng, 1, 300))
            row(codes.RIGID_HARDSHIP, end - timedelta(days=365), end)
    return rows


def current_tags_text(tags) -> str:
    """The denormalised Household.current_tags: " dibao monitoring " (empty when none)."""
    ordered = [t for t in TAG_ORDER if t in set(tags)]
    return f" {' '.join(ordered)} " if ordered else ""


def household_sizes(rng: random.Random, n: int) -> list[int]:
    """n household sizes with a rural shape and exactly 3n members in total."""
    values = [s for s, _ in SIZE_SHARES]
    cum = list(accumulate(w for _, w in SIZE_SHARES))
    sizes = [values[min(bisect(cum, rng.random() * cum[-1]), len(values) - 1)] for _ in range(n)]
    diff = sum(sizes) - 3 * n
    while diff:
        i = int(rng.random() * n)
        if diff > 0 and sizes[i] > 1:
            sizes[i] -= 1
            diff -= 1
        elif diff < 0 and sizes[i] < 7:
            sizes[i] += 1
            diff += 1
    return sizes


class Places:
    """Villages weighted unevenly (communities in town hold fewer rural households).

    `counties` names the counties by their six-digit prefix (default: 垫江县 only). With
    several (the city scale), each county takes an equal share of the households whatever
    its number of villages; the single-county weights are left exactly as they were."""

    def __init__(self, rng: random.Random, villages: list[tuple[str, str, str]], fake: Faker,
                 counties: dict[str, str] | None = None):
        self.rng, self.villages = rng, villages
        self.counties = counties or {"500231": "垫江县"}
        weights = [rng.lognormvariate(0, 0.3) * (0.45 if name.endswith("社区") else 1.0)
                   for _, name, _ in villages]
        if len({code[:6] for code, _, _ in villages}) > 1:
            totals: dict[str, float] = {}
            for (code, _, _), w in zip(villages, weights, strict=True):
                totals[code[:6]] = totals.get(code[:6], 0.0) + w
            weights = [w / totals[code[:6]] for (code, _, _), w in zip(villages, weights, strict=True)]
        self.cum = list(accumulate(weights))
        self.streets = [fake.street_name() for _ in range(40)]

    def pick(self) -> tuple[str, str]:
        rng = self.rng
        code, name, township = self.villages[min(bisect(self.cum, rng.random() * self.cum[-1]),
                                                 len(self.villages) - 1)]
        county = self.counties.get(code[:6], "垫江县")
        if name.endswith("社区"):
            address = f"重庆市{county}{township}{name}{rng.choice(self.streets)}{_ri(rng, 1, 300)}号"
        else:
            address = f"重庆市{county}{township}{name}{_ri(rng, 1, 12)}组{_ri(rng, 1, 120)}号"
        return code, address


def contact(rng: random.Random, members: list[dict], tagged: bool, accounts: set[str]) -> dict:
    elderly_only = all(m["_age"] >= 60 for m in members)
    phone = "" if rng.random() < (0.2 if elderly_only else 0.05) else \
        rng.choice(MOBILE) + f"{int(rng.random() * 10 ** 8):08d}"
    bank_name = account = ""
    if tagged or rng.random() < 0.4:
        bank_name = _pick(rng, BANKS)
        while True:
            account = _luhn_complete(BANK_BINS[bank_name] + f"{int(rng.random() * 10 ** 12):012d}")
            if account not in accounts:
                accounts.add(account)
                break
    return {"phone": phone, "bank_name": bank_name, "bank_account": account}


def build_households(rng: random.Random, people: People, places: Places, sizes: list[int], first_id: int,
           quota: Quota, done_after: int, today: date, accounts: set[str]) -> list[dict]:
    homes = []
    for offset, size in enumerate(sizes):
        members = people.household(size)
        need, workers = _need(members)
        homes.append({"id": first_id + offset, "members": members, "need": need, "workers": workers})
    _assign_tags(rng, homes, quota, done_after)
    for h in homes:
        h["area_code"], h["address"] = places.pick()
        h.update(contact(rng, h["members"], bool(h["tags"]), accounts))
        h["economics"] = _economics(rng, h, today)
        h["tag_rows"] = _tag_rows(rng, h, today)
    return homes
