"""Intake documents as PDF: the village notice (公示), the results disclosure (公开) and
the refusal letter (不予认定/不予纳入通知书).

Pure functions: plain dicts in, PDF bytes out, no database and no permission check. The
intake service loads the rows, checks who may print, and calls these; keeping them pure
lets the tests read the printed text without building applications.

Privacy is decided here, not by the caller: the functions read only the keys listed
below, so a phone, bank account, health or disability value left in a dict is never
printed. ID numbers are masked (500231********1234), members under 18 on the posting day
are counted but not named, and income prints as a band ("300-400元"), never the figure.

Dict shapes (dates are `datetime.date`; "labels" are Chinese, as printed):

notice (notice_pdf) - one village's applications before the county decision::

    {"county": "垫江县", "township": "新民镇", "village": "凤凰村",
     "track": "assistance" | "monitoring",
     "posted_on": date, "ends_on": date,          # the 公示期, both days included
     "contact": "新民镇社会事务办 023-7xxxxxxx",   # where objections go; an office, never an applicant
     "issued_by": "新民镇人民政府",
     "issued_on": date,                           # optional, default posted_on
     "rows": [{
         "applicant_name": "张三",
         "applicant_id_number": "500231198001010011",   # full; printed masked
         "member_count": 3,
         "members": [{"name": "李四", "birth_date": date}],  # or "id_number" instead of birth_date
         "categories": ["低保"] or "低保",         # proposed category label(s)
         "per_capita_monthly_income": Decimal("356.20"),  # printed as its band
     }]}

disclosure (disclosure_pdf) - the approved households of a village::

    {"county", "township", "village", "track", "posted_on", "issued_by" as above,
     "ends_on": date | None, "contact": str (optional, 监督电话), "issued_on": optional,
     "rows": [{"applicant_name", "applicant_id_number", "member_count",
               "categories", "start_on": date}]}

letter (refusal_notice_pdf) - one application refused::

    {"county": "垫江县", "track": "assistance" | "monitoring",
     "tracking_no": "SQ20261201-0001", "applicant_name": "张三",
     "applied_on": date, "decided_on": date, "issued_on": date (optional, default decided_on),
     "reasons": "第一条理由\\n第二条理由" or ["...", "..."],
     "moved_to": ["低保边缘"] (optional: categories the household was put in instead),
     "issued_by": "垫江县民政局",
     "review_body": "垫江县人民政府" (optional, default county + 人民政府: the 2023
                    Administrative Reconsideration Law sends a county department's
                    decisions to the county government),
     "contact": "023-7xxxxxxx" (optional, the office's phone for questions)}

Who is a minor: under 18 on `posted_on`, from `birth_date`, else from the member's ID
number. A member whose age cannot be told is not named either (counted as "出生日期不详").
An applicant who is a minor shows as surname + * (mask_name): the row must stay
identifiable to neighbours for objections, but a child's full name is never posted.
"""

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from ..documents.base import (Column, chinese_date, document, lines_of, paragraph, render_pdf,
                              signature, table, title)
from ..domain.errors import ValidationError
from ..domain.idcard import parse_resident_id
from ..domain.intake import ASSISTANCE, MONITORING
from ..domain.masking import mask_id_number, mask_name

ADULT_AGE = 18
DEFAULT_INCOME_BAND = Decimal(100)

# The Chinese of each track, in one place (ARCHITECTURE.md, "Style").
_TEXT = {
    ASSISTANCE: {
        "notice_title": "最低生活保障等社会救助对象审核确认公示",
        "notice_intro": ("根据《社会救助暂行办法》《最低生活保障审核确认办法》《特困人员认定办法》等规定，"
                         "下列家庭（人员）经本人申请、家庭经济状况核查、入户调查和乡镇人民政府初审，"
                         "拟认定为社会救助对象，现予公示，接受群众监督。"),
        "category": "拟认定类别",
        "disclosure_title": "社会救助对象审核确认结果公开",
        "disclosure_intro": ("下列家庭（人员）经本人申请、入户调查、乡镇初审、村（居）公示和县级民政部门审核确认，"
                             "已纳入社会救助范围，现将结果予以公开，接受群众监督。"),
        "start": "救助起始日期",
        "refusal_title": "不予认定通知书",
        "refusal_subject": "社会救助申请",
        "refusal_steps": "经家庭经济状况核查、入户调查、乡镇初审、公示和县级审核确认",
        "refusal_decision": "决定不予认定",
    },
    MONITORING: {
        "notice_title": "防止返贫监测对象民主评议公示",
        "notice_intro": ("根据防止返贫动态监测和帮扶工作有关规定，下列农户经农户申请或排查发现、入户核实和"
                         "村民主评议，拟纳入防止返贫监测对象，现予公示，接受群众监督。"),
        "category": "拟纳入类型",
        "disclosure_title": "防止返贫监测对象认定结果公开",
        "disclosure_intro": ("下列农户经入户核实、村民主评议和公示、乡镇审核和县级确定，已纳入防止返贫监测对象，"
                             "现将结果予以公开，接受群众监督。"),
        "start": "纳入监测日期",
        "refusal_title": "不予纳入通知书",
        "refusal_subject": "防止返贫监测申请",
        "refusal_steps": "经入户核实、村民主评议、乡镇审核和县级确定",
        "refusal_decision": "决定不予纳入防止返贫监测对象",
    },
}

PRIVACY = ("为保护个人隐私，本{kind}已隐去身份证号码中间数字，不公布未成年人姓名{income}，"
           "不公布联系电话、银行账户和健康状况等信息。本{kind}仅供群众监督，任何单位和个人不得复制、"
           "传播或用于其他用途。")


# --- the three documents --------------------------------------------------------------

def notice_pdf(notice: dict, *, income_band_width: Decimal | int = DEFAULT_INCOME_BAND) -> bytes:
    """The 公示 of one village's applications before the county decision.

    `income_band_width` (yuan) sets the income bands: 100 prints 356.20 as "300-400元".
    Raises ValidationError if the period is reversed, the contact is missing, or the
    contact holds an applicant's or member's phone number (objections go to an office)."""
    text = _track_text(notice)
    posted_on, ends_on = notice["posted_on"], notice["ends_on"]
    if ends_on < posted_on:
        raise ValidationError("公示结束日期不能早于张贴日期")
    contact = (notice.get("contact") or "").strip()
    if not contact:
        raise ValidationError("公示须写明受理异议的单位联系电话")
    _refuse_private_phone(contact, notice["rows"])
    issued_by = notice["issued_by"]
    width = Decimal(income_band_width)
    if width <= 0:
        raise ValueError("income_band_width must be positive")

    columns = [Column("序号", "6%", "center"), Column("申请人", "11%", "center"),
               Column("身份证号码", "21%", "nowrap"), Column("家庭人口", "10%", "center"),
               Column("家庭成员", "22%"), Column(text["category"], "14%", "center"),
               Column("人均月收入", "16%", "nowrap")]
    rows = [[index, _applicant(row, posted_on), mask_id_number(row.get("applicant_id_number")),
             row.get("member_count", ""), _members(row.get("members") or [], posted_on),
             _categories(row.get("categories")), income_band(row.get("per_capita_monthly_income"), width)]
            for index, row in enumerate(notice["rows"], start=1)]
    place = _place(notice)
    body = [
        title(text["notice_title"], place),
        paragraph(text["notice_intro"]),
        table(columns, rows, empty_text="（本期无公示对象）"),
        paragraph(f"公示期：{chinese_date(posted_on)}至{chinese_date(ends_on)}。"),
        paragraph("公示期间，任何单位和个人对公示对象有异议的，可通过以下方式反映，"
                  "我们将及时核实处理，并对反映人的信息严格保密："),
        paragraph(f"（一）当面反映：到{issued_by}或{committee_name(notice['village'])}当面提出；", "item"),
        paragraph(f"（二）电话反映：{contact}；", "item"),
        paragraph(f"（三）书面反映：写明异议对象、事项和理由并署名，送交或邮寄至{issued_by}。", "item"),
        paragraph(PRIVACY.format(kind="公示", income="，家庭收入仅以区间显示"), "note"),
        signature(issued_by, notice.get("issued_on") or posted_on),
    ]
    return render_pdf(document(doc_title=f"{place} {text['notice_title']}",
                               running_head=f"{place} · {text['notice_title']}", body=body))


def disclosure_pdf(disclosure: dict) -> bytes:
    """The 公开 of results for a village: the approved households, same privacy rules."""
    text = _track_text(disclosure)
    posted_on, ends_on = disclosure["posted_on"], disclosure.get("ends_on")
    _refuse_private_phone(disclosure.get("contact") or "", disclosure["rows"])
    columns = [Column("序号", "7%", "center"), Column("姓名", "14%", "center"),
               Column("身份证号码", "24%", "nowrap"), Column("家庭人口", "12%", "center"),
               Column("类别", "23%", "center"), Column(text["start"], "20%", "center")]
    rows = [[index, _applicant(row, posted_on), mask_id_number(row.get("applicant_id_number")),
             row.get("member_count", ""), _categories(row.get("categories")), chinese_date(row.get("start_on"))]
            for index, row in enumerate(disclosure["rows"], start=1)]
    place = _place(disclosure)
    period = (f"公开期：{chinese_date(posted_on)}至{chinese_date(ends_on)}。" if ends_on
              else f"公开日期：{chinese_date(posted_on)}。")
    body = [title(text["disclosure_title"], place), paragraph(text["disclosure_intro"]),
            table(columns, rows, empty_text="（本期无新纳入对象）"), paragraph(period)]
    if disclosure.get("contact"):
        body.append(paragraph(f"如发现不符合条件的对象，请向{disclosure['issued_by']}反映，"
                              f"监督电话：{disclosure['contact']}。我们将对反映人的信息严格保密。"))
    body += [paragraph(PRIVACY.format(kind="公开", income=""), "note"),
             signature(disclosure["issued_by"], disclosure.get("issued_on") or posted_on)]
    return render_pdf(document(doc_title=f"{place} {text['disclosure_title']}",
                               running_head=f"{place} · {text['disclosure_title']}", body=body))


def refusal_notice_pdf(letter: dict) -> bytes:
    """不予认定（不予纳入）通知书 for one application: reasons, any category the household
    was put in instead, and the right to administrative review (60 days) or suit (6 months)."""
    text = _track_text(letter)
    county, name = letter["county"], letter["applicant_name"]
    reasons = lines_of(letter.get("reasons"))
    if not reasons:
        raise ValidationError("不予认定通知书须写明理由")
    review_body = letter.get("review_body") or f"{county}人民政府"
    body = [
        title(text["refusal_title"], letter["issued_by"]),
        paragraph(f"编号：{letter['tracking_no']}", "doc-no"),
        paragraph(f"{name}：", "flush"),
        paragraph(f"您（家庭）于{chinese_date(letter['applied_on'])}提出的{text['refusal_subject']}，"
                  f"{text['refusal_steps']}，"
                  f"{letter['issued_by']}于{chinese_date(letter['decided_on'])}{text['refusal_decision']}。理由如下："),
        *(paragraph(reason) for reason in reasons),
    ]
    moved_to = _as_list(letter.get("moved_to"))
    if moved_to:
        kinds = "、".join(_household_kind(label) for label in moved_to)
        body.append(paragraph(f"经审核，您家庭符合{kinds}条件，已直接纳入，无需另行申请。"))
    body.append(paragraph(f"如对本决定不服，可以自收到本通知书之日起60日内向{review_body}申请行政复议，"
                          "也可以自收到本通知书之日起6个月内依法向人民法院提起行政诉讼。"))
    if letter.get("contact"):
        body.append(paragraph(f"如有疑问，请联系：{letter['contact']}。"))
    body.append(signature(letter["issued_by"], letter.get("issued_on") or letter["decided_on"]))
    return render_pdf(document(doc_title=f"{text['refusal_title']} {letter['tracking_no']}",
                               running_head=f"{county} · {text['refusal_title']}", body=body))


# --- what a row shows -------------------------------------------------------------------

def income_band(amount: Decimal | int | str | None, width: Decimal | int = DEFAULT_INCOME_BAND) -> str:
    """356.20 -> "300-400元" (lower bound included); a negative income -> "0元以下";
    None -> "—". The exact figure is never printed: neighbours need the order of
    magnitude to object, not the household's accounts."""
    if amount is None or amount == "":
        return "—"
    value, width = Decimal(str(amount)), Decimal(width)
    if value < 0:
        return "0元以下"
    low = (value / width).to_integral_value(rounding=ROUND_FLOOR) * width
    return f"{_yuan(low)}-{_yuan(low + width)}元"


def _yuan(value: Decimal) -> str:
    return f"{value.normalize():f}" if value != value.to_integral_value() else str(int(value))


def _members(members: list[dict], on: date) -> str:
    """Adults named, minors counted: "张三、李四（含未成年人2人）"."""
    named, minors, unknown = [], 0, 0
    for member in members:
        age = _age_on(member.get("birth_date"), member.get("id_number"), on)
        if age is None:
            unknown += 1
        elif age < ADULT_AGE:
            minors += 1
        else:
            named.append(str(member.get("name") or "").strip())
    notes = []
    if minors:
        notes.append(f"含未成年人{minors}人")
    if unknown:
        notes.append(f"另有{unknown}人出生日期不详，未列名")
    return "、".join(n for n in named if n) + (f"（{'；'.join(notes)}）" if notes else "")


def _applicant(row: dict, on: date) -> str:
    """The applicant's name, or surname + * when the ID number says they are a minor."""
    name = str(row.get("applicant_name") or "").strip()
    age = _age_on(None, row.get("applicant_id_number"), on)
    return mask_name(name) if age is not None and age < ADULT_AGE else name


def _age_on(birth_date: date | None, id_number: str | None, on: date) -> int | None:
    if birth_date is None and id_number:
        try:
            birth_date = parse_resident_id(id_number, today=on).birth_date
        except ValidationError:
            return None
    if birth_date is None:
        return None
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def _categories(value: str | Iterable[str] | None) -> str:
    return "、".join(_as_list(value))


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value if v]


def _household_kind(label: str) -> str:
    """"低保边缘" -> "低保边缘家庭" for the sentence "符合…条件"; 特困 is a person's status."""
    if label == "特困":
        return "特困人员"
    return label if label.endswith(("家庭", "户", "对象", "人员", "）")) else f"{label}家庭"


def _place(doc: dict) -> str:
    return f"{doc['county']}{doc.get('township', '')}{doc.get('village', '')}"


def _track_text(doc: dict) -> dict[str, str]:
    try:
        return _TEXT[doc["track"]]
    except KeyError:
        raise ValueError(f"unknown track {doc.get('track')!r}") from None


def _refuse_private_phone(contact: str, rows: list[dict]) -> None:
    """The objection contact is an office's phone. If it holds a phone number carried in
    the rows (applicant or member), refuse rather than post it on the village board."""
    contact_digits = "".join(ch for ch in contact if ch.isdigit())
    if not contact_digits:
        return
    for row in rows:
        phones = [row.get("phone"), row.get("applicant_phone")]
        phones += [m.get("phone") for m in row.get("members") or []]
        for phone in phones:
            digits = "".join(ch for ch in str(phone or "") if ch.isdigit())
            if len(digits) >= 7 and digits in contact_digits:
                raise ValidationError("异议受理电话不能使用申请人或其家庭成员的电话号码，请填写乡镇（村）办公电话")


def committee_name(village: str) -> str:
    """凤凰村 -> 凤凰村民委员会; 桂溪社区 -> 桂溪社区居民委员会."""
    if village.endswith("村"):
        return f"{village}民委员会"
    if village.endswith("社区"):
        return f"{village}居民委员会"
    return f"{village}村（居）民委员会"
