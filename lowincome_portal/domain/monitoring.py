"""统一监测预警: the rules of monitoring and early warning, as plain Python (no database, no Reflex).

- Departments' monthly files are declared as data (data_source / source_column); each column
  feeds an indicator (INDICATORS). Registry changes feed indicators too (`registry_facts`).
- A warning rule compares one indicator with a threshold that depends on the household's tags
  (特困 1,000, 低保 5,000 ...). A household holding several tags gets the lowest, most
  protective, threshold; one holding none of the listed tags gets the "" row.
- `evaluate` applies one rule to a whole month's matched rows at once, with pandas and numpy:
  a county file has up to a million rows and is evaluated once per rule, so nothing here
  loops over rows in Python except the (few) hits, to write their evidence.
- A warning's life is a small transition table (TRANSITIONS), as domain/intake.py does:
  待核查 --指派--> 核查中 --处置--> 已处置 --反馈--> 已反馈. The services ask `check_step`.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
from stdnum.cn import ric

from . import registry as registry_codes
from .errors import ValidationError
from .permissions import CASEWORKERS
from .roles import COUNTY_AGRI, COUNTY_CIVIL, ROLE_LABELS, TOWNSHIP_STAFF

# --- vocabulary -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    label: str
    unit: str  # "元", "%" or "" (flags)
    kind: str  # number | flag


INDICATORS: dict[str, Indicator] = {
    "medical_self_pay_year": Indicator("年度累计医疗自付费用", "元", "number"),
    "inpatient_self_pay": Indicator("单次住院自付费用", "元", "number"),
    "outpatient_self_pay_month": Indicator("当月门诊自付费用", "元", "number"),
    "uninsured": Indicator("未参加基本医疗保险", "", "flag"),
    "education_self_pay_year": Indicator("年度教育自付费用", "元", "number"),
    "out_of_school": Indicator("适龄儿童失学辍学", "", "flag"),
    "housing_unsafe": Indicator("住房不安全（C/D级）", "", "flag"),
    "water_unsafe": Indicator("饮水不安全", "", "flag"),
    "died": Indicator("死亡", "", "flag"),
    "new_disability": Indicator("新增残疾", "", "flag"),
    "lost_job": Indicator("失业", "", "flag"),
    "income_drop_pct": Indicator("家庭人均收入下降幅度", "%", "number"),
    "business": Indicator("名下登记经营主体", "", "flag"),
    "vehicle": Indicator("名下机动车辆", "", "flag"),
    "real_estate": Indicator("名下新增房产", "", "flag"),
}

COLUMN_KINDS = {"number": "数值", "flag": "是否标记", "ignore": "不使用"}
AGGREGATES = {"member": "单个成员", "household_sum": "家庭合计"}
COMPARISONS = {"ge": "大于或等于", "gt": "大于", "le": "小于或等于", "lt": "小于", "flag": "出现即预警"}
MEMBER_FILTERS = {"": "全部成员", "working_age": "劳动年龄内有劳动能力的成员（16-59 岁）",
                  "school_age": "义务教育阶段适龄儿童（6-15 岁）"}
SEVERITY = {"high": "高", "medium": "中", "low": "低"}
DEPARTMENTS = {"both": "民政、农业农村", "civil": "民政", "agri": "农业农村"}
# The department a county user works for: their inbox filters on it by default.
DEPARTMENT_OF_ROLE = {COUNTY_CIVIL: "civil", COUNTY_AGRI: "agri"}

REGISTRY_SOURCE = "registry"  # the `source` of a warning raised by a registry change

PENDING, VERIFYING, HANDLED, FED_BACK = "pending", "verifying", "handled", "fed_back"
STATUS = {PENDING: "待核查", VERIFYING: "核查中", HANDLED: "已处置", FED_BACK: "已反馈"}
OPEN_STATUSES = (PENDING, VERIFYING, HANDLED)

DISPOSITIONS = {"referral": "转介帮扶", "application": "启动救助申请", "no_action": "无需处置"}
VERIFY_RESULTS = {"confirmed": "情况属实", "not_confirmed": "情况不属实"}

# Working-age and school-age bounds (DOMAIN.md), ages in whole years on the period's first day.
WORKING_AGE = (16, 59)
SCHOOL_AGE = (6, 15)

RESULT_COLUMNS = ("household_id", "member_id", "value", "threshold", "evidence")

# Words of a leaving reason that mean the member died.
_DEATH_WORDS = re.compile("死|去世|病故|身故|逝世|亡故")


# --- rules ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    indicator: str
    source_code: str  # "" = any source providing the indicator
    aggregate: str  # member | household_sum
    comparison: str  # ge | gt | le | lt | flag
    applies_to_tags: frozenset[str]  # empty = every household
    member_filter: str  # "" | working_age | school_age
    severity: str
    department: str
    thresholds: dict[str, float]  # tag -> value; "" = every other household; empty for flags

    def __hash__(self) -> int:  # thresholds is a dict: hash by code (one spec per rule)
        return hash(self.code)


def split_tags(text: str | Iterable[str] | None) -> frozenset[str]:
    """“ dibao tekun ” (as WarningRule.applies_to_tags and Household.current_tags hold them) ->
    frozenset; a list or set is taken as is."""
    if text is None:
        return frozenset()
    if isinstance(text, str):
        return frozenset(text.replace(",", " ").replace("，", " ").split())
    return frozenset(t for t in text if t)


def spec_from(rule, thresholds: Mapping[str, float | Decimal]) -> RuleSpec:
    """A RuleSpec from a WarningRule row (or a dict with its column names) and its thresholds
    in force (tag -> value)."""
    get = rule.get if isinstance(rule, Mapping) else (lambda k, d=None: getattr(rule, k, d))
    return RuleSpec(
        code=get("code"), name=get("name") or get("code"), indicator=get("indicator"),
        source_code=get("source_code") or "", aggregate=get("aggregate") or "member",
        comparison=get("comparison") or "ge", applies_to_tags=split_tags(get("applies_to_tags")),
        member_filter=get("member_filter") or "", severity=get("severity") or "medium",
        department=get("department") or "both",
        thresholds={tag: float(v) for tag, v in thresholds.items()},
    )


def _threshold_and_tag(rule: RuleSpec, tags: Iterable[str]) -> tuple[float | None, str | None]:
    """The threshold a household with `tags` gets and the tag ("" = others) that set it."""
    own = [(rule.thresholds[t], t) for t in sorted(set(tags)) if t and t in rule.thresholds]
    if own:
        return min(own)
    if "" in rule.thresholds:
        return rule.thresholds[""], ""
    return None, None


def threshold_for(rule: RuleSpec, tags: set[str]) -> float | None:
    """The lowest (most protective) threshold among the household's tags that have one, else
    the "" row (every other household), else None (the rule does not apply)."""
    return _threshold_and_tag(rule, tags)[0]


def tag_label(tag: str) -> str:
    """“低保家庭” / “其他家庭”, as the evidence names whose threshold applied."""
    return "其他家庭" if not tag else registry_codes.label(registry_codes.TAG_LABELS, tag) + "家庭"


# --- evaluation -----------------------------------------------------------------------------------

def _empty() -> pd.DataFrame:
    return pd.DataFrame({"household_id": pd.Series(dtype="int64"), "member_id": pd.Series(dtype="object"),
                         "value": pd.Series(dtype="float64"), "threshold": pd.Series(dtype="float64"),
                         "evidence": pd.Series(dtype="object")})


def _flags(series: pd.Series) -> np.ndarray:
    """True where the flag is set; NaN/None (not given) and anything but True is False."""
    if series.dtype == bool:
        return series.to_numpy()
    return series.eq(True).fillna(False).to_numpy(dtype=bool)


def _numbers(series: pd.Series) -> np.ndarray:
    if series.dtype.kind == "f":
        return series.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def ages_on(birth: pd.Series, on: date) -> np.ndarray:
    """Whole years of age on `on` for each birth date (NaN where unknown), vectorised."""
    b = pd.to_datetime(birth, errors="coerce")
    years = on.year - b.dt.year.to_numpy(dtype=float, na_value=np.nan)
    month = b.dt.month.to_numpy(dtype=float, na_value=np.nan)
    day = b.dt.day.to_numpy(dtype=float, na_value=np.nan)
    before_birthday = (month > on.month) | ((month == on.month) & (day > on.day))
    return years - before_birthday


def _compare(values: np.ndarray, thresholds: np.ndarray, comparison: str) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if comparison == "ge":
            return values >= thresholds
        if comparison == "gt":
            return values > thresholds
        if comparison == "le":
            return values <= thresholds
        if comparison == "lt":
            return values < thresholds
    raise ValueError(f"unknown comparison {comparison}")


def evaluate(rule: RuleSpec, frame: pd.DataFrame, period: date) -> pd.DataFrame:
    """The households of `frame` on which `rule` fires in the month of `period`.

    `frame`: one row per matched person - household_id, member_id, member_name, birth_date
    (datetime64), labour_capacity, tags (" dibao tekun ") and indicator columns (float for
    numbers, bool for flags; NaN = not given). Rows not giving the indicator are ignored.

    Returns one row per firing household: household_id, member_id (the member concerned: the
    highest value for sums and numeric member rules, the first row for flags), value (float,
    NaN for flags), threshold (float, NaN for flags) and evidence (a Chinese sentence naming
    the indicator, the value, the threshold and whose threshold it is).
    """
    if frame.empty or rule.indicator not in frame.columns:
        return _empty()
    on = period.replace(day=1)
    is_flag = rule.comparison == "flag"
    raw = frame[rule.indicator]
    if is_flag:
        present = _flags(raw)
        values_all = None
    else:
        values_all = _numbers(raw)
        present = ~np.isnan(values_all)
    rows = np.flatnonzero(present)
    if rows.size == 0:
        return _empty()
    sub = frame.iloc[rows][[c for c in ("household_id", "member_id", "member_name", "birth_date",
                                        "labour_capacity", "tags") if c in frame.columns]]
    values = np.full(rows.size, np.nan) if values_all is None else values_all[rows]

    # Tags are per household and few distinct strings: work on the distinct ones only.
    tag_text = sub["tags"].fillna("").astype(str) if "tags" in sub.columns else pd.Series([""] * len(sub))
    codes, uniques = pd.factorize(tag_text, sort=False)
    applies_u = np.empty(len(uniques), dtype=bool)
    threshold_u = np.full(len(uniques), np.nan)
    tag_u: list[str | None] = []
    for i, text in enumerate(uniques):
        tags = split_tags(text)
        applies_u[i] = not rule.applies_to_tags or bool(tags & rule.applies_to_tags)
        value, tag = _threshold_and_tag(rule, tags)
        if value is not None:
            threshold_u[i] = value
        tag_u.append(tag)
    keep = applies_u[codes]
    thresholds = threshold_u[codes]
    if not is_flag:
        keep &= ~np.isnan(thresholds)

    if rule.member_filter:
        if "birth_date" not in sub.columns:
            return _empty()
        ages = ages_on(sub["birth_date"], on)
        if rule.member_filter == "working_age":
            labour = sub["labour_capacity"].fillna("").astype(str).to_numpy() if "labour_capacity" in sub.columns \
                else np.full(len(sub), "", dtype=object)
            keep &= (ages >= WORKING_AGE[0]) & (ages <= WORKING_AGE[1]) & (labour != "none")
        elif rule.member_filter == "school_age":
            keep &= (ages >= SCHOOL_AGE[0]) & (ages <= SCHOOL_AGE[1])
        else:
            raise ValueError(f"unknown member filter {rule.member_filter}")
    if not keep.any():
        return _empty()

    households = sub["household_id"].to_numpy()
    positions = np.flatnonzero(keep)
    frame_k = pd.DataFrame({"household_id": households[positions], "pos": positions,
                            "value": values[positions], "threshold": thresholds[positions]})
    descending = rule.comparison not in ("le", "lt")

    if rule.aggregate == "household_sum" and not is_flag:
        grouped = frame_k.groupby("household_id", sort=False)
        totals = grouped.agg(value=("value", "sum"), threshold=("threshold", "first"), count=("value", "size"))
        fired = totals[_compare(totals["value"].to_numpy(), totals["threshold"].to_numpy(), rule.comparison)]
        if fired.empty:
            return _empty()
        concerned = frame_k[frame_k["household_id"].isin(fired.index)]
        # the member concerned: the one who contributed most
        concerned = concerned.sort_values("value", ascending=False, kind="stable").drop_duplicates("household_id")
        concerned = concerned.set_index("household_id").loc[fired.index]
        hits = pd.DataFrame({"household_id": fired.index.to_numpy(), "pos": concerned["pos"].to_numpy(),
                             "value": fired["value"].to_numpy(), "threshold": fired["threshold"].to_numpy(),
                             "count": fired["count"].to_numpy()})
    else:
        if not is_flag:
            frame_k = frame_k[_compare(frame_k["value"].to_numpy(), frame_k["threshold"].to_numpy(),
                                       rule.comparison)]
            if frame_k.empty:
                return _empty()
            frame_k = frame_k.sort_values("value", ascending=not descending, kind="stable")
        counts = frame_k.groupby("household_id", sort=False).size()
        hits = frame_k.drop_duplicates("household_id").copy()
        hits["count"] = counts.loc[hits["household_id"]].to_numpy()
        if is_flag:
            hits["value"] = np.nan
            hits["threshold"] = np.nan

    pos = hits["pos"].to_numpy()
    member_ids = sub["member_id"].to_numpy(dtype=object)[pos] if "member_id" in sub.columns \
        else np.full(pos.size, None, dtype=object)
    evidence = _evidence_texts(rule, on, sub.iloc[pos], codes[pos], uniques, tag_u,
                               hits["value"].to_numpy(dtype=float), hits["threshold"].to_numpy(dtype=float),
                               hits["count"].to_numpy())
    return pd.DataFrame({"household_id": hits["household_id"].to_numpy(),
                         "member_id": pd.Series(member_ids, dtype=object).where(pd.notna(member_ids), None),
                         "value": hits["value"].to_numpy(dtype=float),
                         "threshold": hits["threshold"].to_numpy(dtype=float),
                         "evidence": evidence})


COMPARISON_WORDS = {"ge": "达到", "gt": "超过", "le": "不高于", "lt": "低于"}


def amount_text(value: float, unit: str) -> str:
    """12345.0, 元 -> “12,345.00 元”; 35, % -> “35.00%”."""
    if unit == "%":
        return f"{value:,.2f}%"
    return f"{value:,.2f} {unit}".rstrip()


def _whose(rule: RuleSpec, household_tags: str) -> str:
    """“低保、特困家庭” for a rule restricted to tags: why the fact matters for this household."""
    if not rule.applies_to_tags:
        return ""
    order = list(registry_codes.TAG_LABELS)
    held = sorted((t for t in split_tags(household_tags) if t in rule.applies_to_tags),
                  key=lambda t: order.index(t) if t in order else len(order))
    return "、".join(registry_codes.label(registry_codes.TAG_LABELS, t) for t in held) + "家庭"


def _evidence_texts(rule: RuleSpec, on: date, hits: pd.DataFrame, codes: np.ndarray, uniques, tag_u,
                    values: np.ndarray, thresholds: np.ndarray, counts: np.ndarray) -> list[str]:
    """The Chinese sentence of each hit. Built for the hits only, with what repeats (the
    threshold clause, the household's tags) computed once per distinct tag string."""
    indicator = INDICATORS.get(rule.indicator, Indicator(rule.indicator, "", "number"))
    word = COMPARISON_WORDS.get(rule.comparison, rule.comparison)
    clause: dict[int, str] = {}
    whose: dict[int, str] = {}
    for c in set(codes.tolist()):
        whose[c] = _whose(rule, uniques[c])
        if rule.comparison != "flag":
            i = int(np.flatnonzero(codes == c)[0])
            clause[c] = f"，{word}{tag_label(tag_u[c] or '')}阈值 {amount_text(thresholds[i], indicator.unit)}"
    if rule.comparison != "flag" and rule.aggregate == "household_sum":
        return [f"{indicator.label} {amount_text(v, indicator.unit)}"
                + (f"（全户 {n} 人合计）" if n > 1 else "") + clause[c]
                for v, n, c in zip(values.tolist(), counts.tolist(), codes.tolist())]
    names = hits["member_name"].to_numpy(dtype=object) if "member_name" in hits.columns \
        else np.full(len(hits), "", dtype=object)
    ages = ages_on(hits["birth_date"], on) if "birth_date" in hits.columns else np.full(len(hits), np.nan)
    texts = []
    for name, age, n, c, v in zip(names.tolist(), ages.tolist(), counts.tolist(), codes.tolist(), values.tolist()):
        name = "" if name is None or name != name else str(name).strip()  # NaN != NaN
        who = whose[c]
        if name:
            who += f"成员{name}" + ("" if age != age else f"（{int(age)} 岁）") + (f"等 {n} 人" if n > 1 else "")
        if rule.comparison == "flag":
            texts.append(f"{who}：{indicator.label}" if who else indicator.label)
        else:
            texts.append((f"{who}：" if who else "") + f"{indicator.label} {amount_text(v, indicator.unit)}"
                         + clause[c])
    return texts


# --- ID numbers and months in department files ----------------------------------------------------

_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_CHECK_CHARS = np.frombuffer(b"10X98765432", dtype=np.uint8)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _normalised(text: str) -> str | None:
    """One ID number as is_valid_resident_id reads it, or None when it cannot be valid."""
    raw = text.strip().replace(" ", "").upper()
    if len(raw) != 18:
        return None
    number = raw if raw.isascii() else ric.compact(raw)
    return number if len(number) == 18 and number.isascii() else None


def valid_id_mask(ids: pd.Series, today: date | None = None) -> pd.Series:
    """True where the ID number is a valid 18-character resident ID: 17 digits and a digit or X,
    the GB 11643 (ISO 7064 MOD 11-2) check character, a real birth date not after `today`.

    Agrees with domain/idcard.is_valid_resident_id (spaces, lower-case x and full-width
    digits are read the same way), but is vectorised with numpy: a per-row library call is
    too slow for a million rows. The usual cell - 18 ASCII characters - takes the fast path
    (one joined string viewed as a byte matrix); only odd cells are normalised one by one.
    """
    today = today or date.today()
    text = ids.where(ids.notna(), "").astype(str).to_numpy(dtype=object)
    lengths = np.fromiter(map(len, text), dtype=np.int64, count=len(text))
    fast = np.flatnonzero(lengths == 18)
    fast_text = text[fast]
    joined = "".join(fast_text.tolist())
    if not joined.isascii():
        ascii_rows = np.fromiter(map(str.isascii, fast_text), dtype=bool, count=len(fast_text))
        fast, fast_text = fast[ascii_rows], fast_text[ascii_rows]
        joined = "".join(fast_text.tolist())
    slow = np.setdiff1d(np.flatnonzero(lengths > 0), fast, assume_unique=True)
    slow_rows, slow_text = [], []
    for i in slow.tolist():
        number = _normalised(text[i])
        if number is not None:
            slow_rows.append(i)
            slow_text.append(number)
    rows = np.concatenate([fast, np.array(slow_rows, dtype=np.int64)])
    result = np.zeros(len(text), dtype=bool)
    if rows.size:
        raw = np.frombuffer((joined + "".join(slow_text)).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        digits = raw[:, :17].astype(np.int64) - ord("0")
        body_ok = ((digits >= 0) & (digits <= 9)).all(axis=1)
        body = np.where(body_ok[:, None], digits, 0)
        last = raw[:, 17]
        last = np.where(last == ord("x"), ord("X"), last)  # is_valid_resident_id upper-cases
        expected = _CHECK_CHARS[(body @ _ID_WEIGHTS) % 11]
        year = body[:, 6] * 1000 + body[:, 7] * 100 + body[:, 8] * 10 + body[:, 9]
        month = body[:, 10] * 10 + body[:, 11]
        day = body[:, 12] * 10 + body[:, 13]
        month_ok = (month >= 1) & (month <= 12)
        leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
        days_in_month = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + ((month == 2) & leap)
        date_ok = month_ok & (day >= 1) & (day <= days_in_month) & (year >= 1)
        not_future = year * 10000 + month * 100 + day <= today.year * 10000 + today.month * 100 + today.day
        result[rows] = body_ok & (expected == last) & date_ok & not_future
    return pd.Series(result, index=ids.index, name=ids.name)


_MONTH_ONLY = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")
_MONTH_SEP = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月)?(?:\s*[-/.]?\s*(\d{1,2})\s*日?)?(?:[ T]\d.*)?$")


def parse_month(text) -> date | None:
    """The first day of the month a cell names, or None: “2026-11”, “2026/11”, “202611”,
    “2026年11月”, “2026.11”, a full date (“2026-11-05”, “2026年11月5日”, 20261105, a date or
    datetime as Excel gives it)."""
    if text is None:
        return None
    if isinstance(text, (datetime, pd.Timestamp)):
        return None if pd.isna(text) else date(text.year, text.month, 1)
    if isinstance(text, date):
        return text.replace(day=1)
    if isinstance(text, float):
        if np.isnan(text) or text != int(text):
            return None
        text = int(text)
    raw = str(text).strip().replace("　", "")
    m = _MONTH_ONLY.match(raw) or _MONTH_SEP.match(raw)
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not (1900 <= year <= 2200 and 1 <= month <= 12):
        return None
    if m.group(3):
        try:
            date(year, month, int(m.group(3)))
        except ValueError:
            return None
    return date(year, month, 1)


# --- registry changes -----------------------------------------------------------------------------

def per_capita_income(values: Mapping, members: int) -> float:
    """Annual per-capita income of an economic-status record, as the means test counts it:
    wages less employment costs (not below zero), plus business, property and transfer income,
    divided by the household's member count."""
    def num(key):
        v = values.get(key)
        return float(v) if v not in (None, "") else 0.0
    wages = max(num("wage_income") - num("employment_costs"), 0.0)
    total = wages + num("business_income") + num("property_income") + num("transfer_income")
    return round(total / max(members, 1), 2)


def registry_facts(old: Mapping | None, new: Mapping) -> dict[str, float | bool]:
    """The indicators a registry change means, keyed by indicator code (only those that hold).

    Only "became" transitions count, so an unchanged state never raises a warning twice.
    `old` is the state before (None: nothing known, compared with the safe defaults below),
    `new` the state after; only the keys present in `new` are compared. Keys understood:

    Member (the names of db.tables.registry.Member):
      active (bool) + left_reason (str): active True -> False with a reason naming
          死亡/去世/病故/身故/逝世/亡故 -> died (default before: active True)
      disability_type (str): "" -> a type -> new_disability (default "")
      employment (str): other -> "unemployed" -> lost_job (default "")
      medical_insurance (bool): True -> False -> uninsured (default True)
      in_school (bool): True -> False -> out_of_school (default False: unknown is not a drop-out)
      schooling (str): other -> "dropped_out" -> out_of_school (default "")
    Economic status (the names of db.tables.registry.EconomicStatus, plus one computed):
      housing_safety (str A-D): A/B -> C/D -> housing_unsafe (default "A")
      drinking_water_safe (bool): True -> False -> water_unsafe (default True)
      medical_insurance_ok (bool): True -> False -> uninsured (default True)
      per_capita_income (number, annual yuan; see `per_capita_income`): a fall from a positive
          amount -> income_drop_pct = the fall in percent, 2 places (no earlier amount: nothing)
    """
    before = dict(old or {})
    facts: dict[str, float | bool] = {}

    def was(key, default):
        value = before.get(key, default)
        return default if value is None else value

    if "active" in new and new["active"] is False and was("active", True) is not False:
        if _DEATH_WORDS.search(str(new.get("left_reason") or "")):
            facts["died"] = True
    if "disability_type" in new and (new["disability_type"] or "") and not was("disability_type", ""):
        facts["new_disability"] = True
    if new.get("employment") == "unemployed" and was("employment", "") != "unemployed":
        facts["lost_job"] = True
    if "medical_insurance" in new and new["medical_insurance"] is False and was("medical_insurance", True):
        facts["uninsured"] = True
    if "medical_insurance_ok" in new and new["medical_insurance_ok"] is False and was("medical_insurance_ok", True):
        facts["uninsured"] = True
    if "in_school" in new and new["in_school"] is False and was("in_school", False) is True:
        facts["out_of_school"] = True
    if new.get("schooling") == "dropped_out" and was("schooling", "") != "dropped_out":
        facts["out_of_school"] = True
    if "housing_safety" in new:
        unsafe = registry_codes.UNSAFE_HOUSING
        if (new["housing_safety"] or "A") in unsafe and was("housing_safety", "A") not in unsafe:
            facts["housing_unsafe"] = True
    if "drinking_water_safe" in new and new["drinking_water_safe"] is False and was("drinking_water_safe", True):
        facts["water_unsafe"] = True
    if new.get("per_capita_income") is not None and before.get("per_capita_income") is not None:
        previous, current = float(before["per_capita_income"]), float(new["per_capita_income"])
        if previous > 0 and current < previous:
            facts["income_drop_pct"] = round((previous - current) / previous * 100, 2)
    return facts


# --- the warning loop -----------------------------------------------------------------------------

# assign and handle: caseworkers (village and township staff on foot); feed back: township and county
FEEDBACK_ROLES = (TOWNSHIP_STAFF, COUNTY_CIVIL, COUNTY_AGRI)


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    roles: tuple[str, ...]
    label: str


TRANSITIONS: tuple[Transition, ...] = (
    Transition(PENDING, "assign", VERIFYING, CASEWORKERS, "指派核查"),
    Transition(VERIFYING, "handle", HANDLED, CASEWORKERS, "处置"),
    Transition(HANDLED, "feed_back", FED_BACK, FEEDBACK_ROLES, "反馈"),
)
ACTIONS = {"raise": "生成预警", "assign": "指派核查", "handle": "处置", "feed_back": "反馈", "escalate": "逾期升级"}

MSG_STEP = "该预警当前为“{status}”，不能{action}"
MSG_ROLE = "“{action}”须由{roles}办理"
MSG_UNKNOWN_ACTION = "未知的预警办理操作"
MSG_VERIFY_RESULT = "请选择核查结果（情况属实或情况不属实）"
MSG_VERIFY_NOTE = "请填写核查情况"
MSG_DISPOSITION = "请选择处置方式（转介帮扶、启动救助申请或无需处置）"
MSG_NOT_CONFIRMED = "核查情况不属实的，处置方式应为“无需处置”"
MSG_NO_ACTION_REASON = "选择“无需处置”须说明理由"
MSG_FEEDBACK = "请填写反馈内容"
MSG_TOO_LONG = "{label}不能超过 {limit} 个字"
VERIFY_NOTE_MAX = 2000
DISPOSITION_NOTE_MAX = 1000
FEEDBACK_MAX = 2000


def check_step(status: str, action: str, roles) -> str:
    """The status after `action`, or ValidationError naming the current status or the roles."""
    known = [t for t in TRANSITIONS if t.action == action]
    if not known:
        raise ValidationError(MSG_UNKNOWN_ACTION)
    step = next((t for t in known if t.source == status), None)
    if step is None:
        raise ValidationError(MSG_STEP.format(status=STATUS.get(status, status), action=ACTIONS[action]))
    if not set(roles) & set(step.roles):
        raise ValidationError(MSG_ROLE.format(action=step.label,
                                              roles="或".join(ROLE_LABELS[r] for r in step.roles)))
    return step.target


def _code(value, mapping: dict[str, str]) -> str:
    """A code from its code or its Chinese label; "" when neither."""
    raw = "" if value is None else str(value).strip()
    if raw in mapping:
        return raw
    return next((code for code, label in mapping.items() if raw == label), "")


def _text(value, label: str, limit: int) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        raise ValidationError(MSG_TOO_LONG.format(label=label, limit=limit))
    return text


@dataclass(frozen=True)
class HandleInput:
    verify_result: str
    verify_note: str
    disposition: str
    disposition_note: str


def handle_input(verify_result, verify_note, disposition, disposition_note="") -> HandleInput:
    """What the verifier reports: 核查结果, 核查情况 (required), 处置方式 and, for 无需处置, why.
    A warning found not true can only be closed with 无需处置. Codes or labels are accepted."""
    result = _code(verify_result, VERIFY_RESULTS)
    if not result:
        raise ValidationError(MSG_VERIFY_RESULT)
    note = _text(verify_note, "核查情况", VERIFY_NOTE_MAX)
    if not note:
        raise ValidationError(MSG_VERIFY_NOTE)
    how = _code(disposition, DISPOSITIONS)
    if not how:
        raise ValidationError(MSG_DISPOSITION)
    if result == "not_confirmed" and how != "no_action":
        raise ValidationError(MSG_NOT_CONFIRMED)
    reason = _text(disposition_note, "处置说明", DISPOSITION_NOTE_MAX)
    if how == "no_action" and not reason:
        raise ValidationError(MSG_NO_ACTION_REASON)
    return HandleInput(result, note, how, reason)


def feedback_input(text) -> str:
    """The result fed back to the departments (required)."""
    value = _text(text, "反馈内容", FEEDBACK_MAX)
    if not value:
        raise ValidationError(MSG_FEEDBACK)
    return value


def period_text(period: date) -> str:
    return f"{period.year}年{period.month}月"
