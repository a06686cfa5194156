"""The joint meeting's documents: the minutes as a PDF for signing and archive (会议纪要),
and the action items as an Excel workbook (督办事项).

Pure functions: plain dicts in, bytes out, no database and no permission check.
services/meeting_papers.py loads one meeting, checks who may print and calls these.

Privacy is decided here, not by the caller. A household prints as its head's name and
masked ID number (500231********1234); only the keys listed below are read, so a phone
or bank account left in a dict never prints. Staff type free text (details, discussion,
notes) and sometimes paste a number into it: long digit runs in free text are masked too
(an 18-digit ID, an 11-digit mobile, a bank account), while office numbers such as
023-74511234 stay readable. All text is escaped by documents/base.py, so `<script>`
prints as typed.

Dict shapes (dates are `datetime.date`):

minutes (minutes_pdf)::

    {"county": "垫江县",
     "area_name": "新民镇",            # the township, or the county for the county meeting
     "month": date(2026, 11, 1),       # any day of the month the meeting is for
     "status": "planned" | "held" | "approved",
     "planned_on": date, "held_on": date | None, "approved_on": date | None,
     "place": "新民镇政府三楼会议室", "chair": "王芳", "recorder": "李明" (or "" - a line to fill in),
     "as_of": date,                    # the day the follow-up states are read on
     "attendees": [{"name": "王芳", "kind": "user" | "unit", "signed_in": bool}],
     "items": [{"title": str, "detail": str, "discussion": str,
                "decision": "approve" | "refuse" | "refer" | "assign" | "defer" | "",
                "responsible": "垫江县慈善会、刘慧" (unit and/or person, as printed),
                "deadline": date | None, "dropped": bool,
                "household": HOUSEHOLD | None}],          # in agenda order
     "follow_ups": [ACTION]}           # earlier meetings' action items (see below)

action row (actions_workbook rows, minutes["follow_ups"])::

    {"meeting": "新民镇 2026年10月",   # in the minutes' follow-ups the month alone: "2026年10月"
     "title": str, "household": HOUSEHOLD | None,
     "decision": "assign" | ..., "responsible": str, "deadline": date,
     "status": "open" | "done" | "superseded" | "cancelled", "done_on": date | None, "done_note": str}

    HOUSEHOLD = {"head_name": "张三", "head_id_number": "500231198001010011"}  # full; printed masked

State of an action item (action_state): 已办结 when done (on or before the day asked about),
已重新决定 when a later meeting decided it again (by then), 已超期 when open past its
deadline, else 未办结.
"""

from datetime import date

from ..documents.base import (Column, chinese_date, document, fields, heading, paragraph, render_pdf,
                              sign_off, table, title, together)
from ..domain.masking import mask_id_number
from ..domain.masking import mask_numbers_in as scrub
from ..domain.meetings import CANCELLED, DECISIONS, DONE, SUPERSEDED
from .workbook_writer import workbook_bytes

# The Chinese of the documents, in one place; decisions say what the pages say.
DECISION_LABELS = DECISIONS
# "superseded": a later meeting decided the matter again; "cancelled": the decision was
# changed before the minutes were approved (the papers leave those rows out).
STATE_LABELS = {"open": "未办结", "done": "已办结", "overdue": "已超期", SUPERSEDED: "已重新决定",
                CANCELLED: "已撤销"}
STATUS_LABELS = {"planned": "计划中（未召开）", "held": "已召开，纪要待审定", "approved": "纪要已审定"}
TITLE = "困难群众联席会议纪要"
SHEET = "督办事项"
SHEET_HEADERS = ["会议", "议题", "家庭（户主）", "决定", "责任单位/人", "期限", "状态", "办结日期", "办结说明"]
UNDECIDED = "（未形成决定）"
BLANK = "—"


# --- the two documents ------------------------------------------------------------------

def minutes_pdf(minutes: dict) -> bytes:
    """The minutes of one meeting: particulars, who attended, each agenda item with its
    discussion and decision (dropped items left out), the follow-up of earlier meetings'
    action items, and lines for the chair, recorder and attending units to sign."""
    main = f"{minutes['area_name']}{TITLE}（{month_text(minutes['month'])}）"
    county = minutes.get("county", "")
    # The county heading sits above the title; the county's own meeting already names it.
    place = county if county and county != minutes["area_name"] else ""
    attendees = minutes.get("attendees") or []
    items = [item for item in minutes.get("items") or [] if not item.get("dropped")]
    body = [
        title(main, place),
        paragraph(_status_line(minutes), "doc-no"),
        fields(_particulars(minutes, attendees)),
        heading("一、参会人员及成员单位"),
        _attendance_table(attendees),
        heading("二、议题及决定事项"),
        *(_agenda_item(number, item) for number, item in enumerate(items, start=1)),
    ]
    if not items:
        body.append(paragraph("（本次会议无议题）", "flush"))
    as_of = minutes.get("as_of") or meeting_day(minutes)
    body += [heading(f"三、以往会议督办事项办理情况（截至{chinese_date(as_of)}）"),
             _follow_up_table(minutes.get("follow_ups") or [], as_of),
             together(heading("四、签字"), paragraph("以上纪要经与会人员确认无误。", "flush"),
                      sign_off(_signers(minutes, attendees)))]
    return render_pdf(document(doc_title=main, running_head=f"{county} · {main}" if county else main,
                               body=body))


def actions_workbook(rows: list[dict], *, today: date | None = None) -> bytes:
    """督办事项 as .xlsx, one row per action item in the order given. The state column
    reads each row's "status" and "deadline" on `today` (needed when a row is still open)."""
    lines = ([row.get("meeting", ""), scrub(row.get("title")), household_text(row.get("household")),
              DECISION_LABELS.get(row.get("decision") or "", row.get("decision") or ""),
              row.get("responsible", ""), row.get("deadline"), STATE_LABELS[action_state(row, today)],
              row.get("done_on"), scrub(row.get("done_note"))]
             for row in rows)
    return workbook_bytes([(SHEET, SHEET_HEADERS, lines)])


# --- what a row shows -------------------------------------------------------------------

def action_state(row: dict, on: date | None) -> str:
    """"done" | "superseded" | "cancelled" | "overdue" | "open" for an action row on day
    `on` (a key of STATE_LABELS). Closed after `on` counts as still open that day, so
    minutes reprinted later show the state the meeting saw."""
    status, done_on = row.get("status"), row.get("done_on")
    if status == CANCELLED:
        return CANCELLED
    if status in (DONE, SUPERSEDED) and (on is None or done_on is None or done_on <= on):
        return status
    if on is None:
        raise ValueError("the state of an open action item needs the day it is read on")
    deadline = row.get("deadline")
    return "overdue" if deadline is not None and deadline < on else "open"


def household_text(household: dict | None, sep: str = "") -> str:
    """张三（500231********0011）, or with sep=" " 张三 500231********0011 (inside
    brackets already); no household -> ""."""
    if not household:
        return ""
    name = str(household.get("head_name") or "").strip()
    masked = mask_id_number(household.get("head_id_number"))
    if not masked:
        return name
    return f"{name}{sep}{masked}" if sep else f"{name}（{masked}）"


# Digit runs long enough to be a personal number. Shorter runs (dates, 8-digit office
# lines, tracking numbers) stay as typed.


def month_text(day: date) -> str:
    return f"{day.year}年{day.month}月"


def meeting_day(minutes: dict) -> date:
    return minutes.get("held_on") or minutes["planned_on"]


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals (一, 十, 十二, 二十一) for headings; larger as digits."""
    digits = "零一二三四五六七八九"
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else digits[tens]) + "十" if tens else "") + (digits[ones] if ones else "")


# --- parts of the minutes ---------------------------------------------------------------

def _status_line(minutes: dict) -> str:
    status = minutes.get("status", "planned")
    label = STATUS_LABELS.get(status, status)
    if status == "approved" and minutes.get("approved_on"):
        label += f"（{chinese_date(minutes['approved_on'])}）"
    return f"纪要状态：{label}"


def _particulars(minutes: dict, attendees: list[dict]) -> list[tuple[str, object]]:
    held_on = minutes.get("held_on")
    day = chinese_date(held_on) if held_on else f"{chinese_date(minutes['planned_on'])}（计划）"
    present = sum(1 for a in attendees if a.get("signed_in"))
    return [("会议日期", day), ("会议地点", minutes.get("place") or BLANK),
            ("主持人", minutes.get("chair") or BLANK), ("记录人", minutes.get("recorder") or BLANK),
            ("出席情况", f"应到 {len(attendees)} 人（单位），实到 {present} 人（单位）")]


def _attendance_table(attendees: list[dict]) -> str:
    kinds = {"user": "参会人员", "unit": "成员单位"}
    # people first, then the member units, each in the order invited
    ordered = sorted(attendees, key=lambda a: a.get("kind") == "unit")
    rows = [[index, kinds.get(a.get("kind"), ""), a.get("name", ""), "已签到" if a.get("signed_in") else "未到"]
            for index, a in enumerate(ordered, start=1)]
    columns = [Column("序号", "8%", "center"), Column("类别", "16%", "center"),
               Column("姓名 / 单位", "56%"), Column("签到", "20%", "center")]
    return table(columns, rows, empty_text="（无参会人员）")


def _agenda_item(number: int, item: dict) -> str:
    decision = item.get("decision") or ""
    pairs = []
    if item.get("household"):
        pairs.append(("涉及家庭", household_text(item["household"])))
    pairs += [("情况说明", scrub(item.get("detail")) or BLANK),
              ("讨论情况", scrub(item.get("discussion")) or BLANK),
              ("决定", DECISION_LABELS.get(decision, decision) or UNDECIDED),
              ("责任单位/人", item.get("responsible") or BLANK),
              ("办理期限", chinese_date(item.get("deadline")) or BLANK)]
    return heading(f"（{chinese_number(number)}）{scrub(item.get('title'))}", 3) + fields(pairs)


def _follow_up_table(rows: list[dict], as_of: date) -> str:
    columns = [Column("序号", "6%", "center"), Column("会议", "13%", "nowrap"),
               Column("事项（家庭）", "26%"), Column("责任单位/人", "16%"),
               Column("期限", "12%", "nowrap"), Column("状态", "11%", "nowrap"),
               Column("办结情况", "16%")]
    lines = []
    for index, row in enumerate(rows, start=1):
        state = action_state(row, as_of)
        item = scrub(row.get("title"))
        if row.get("household"):
            item += f"（户主 {household_text(row['household'], sep=' ')}）"
        closed = state in (DONE, SUPERSEDED)
        done = chinese_date(row.get("done_on")) if closed else ""
        note = scrub(row.get("done_note")) if closed else ""
        lines.append([index, row.get("meeting", ""), item, row.get("responsible") or BLANK,
                      _short_date(row.get("deadline")), STATE_LABELS[state],
                      "，".join(part for part in (done, note) if part)])
    return table(columns, lines, empty_text="（无以往会议督办事项）")


def _short_date(day: date | None) -> str:
    return day.isoformat() if day else ""


def _signers(minutes: dict, attendees: list[dict]) -> list[str]:
    """Chair, recorder, then the member units present; before the meeting is held nobody
    has signed in, so every invited unit gets a line (the sheet is printed to take along)."""
    units = [a for a in attendees if a.get("kind") == "unit"]
    if minutes.get("status", "planned") != "planned":
        units = [a for a in units if a.get("signed_in")]
    return ([f"主持人：{minutes.get('chair') or ''}", f"记录人：{minutes.get('recorder') or ''}"]
            + [a.get("name", "") for a in units])
