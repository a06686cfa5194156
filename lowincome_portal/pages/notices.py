"""公示公开 (/notices): post a village's notice and print it, follow the notices posted, and
disclose the approved results.

Every list comes from services/intake_papers.notice_board (names and tracking numbers, no
ID numbers). Posting is a quick write (services/intake_notice) in the handler; the PDF is
drawn by a background task in a worker thread - WeasyPrint takes about a second for a
village's page, and the user's other clicks should not wait behind it - and handed to the
browser with rx.download, as the registry import hands over its error report. The
download handlers take only a notice id from the browser: the service checks that the
notice lies in the user's area and writes the "export" audit entry.
"""

import asyncio
from typing import TypedDict

import reflex as rx

from ..components.shell import shell
from ..db.uow import unit_of_work
from ..services import intake_notice, intake_papers
from ..services.households import today_in_china
from ..state.base import SessionState, protected, protected_background

ACTION = "application.notice"
PDF = "application/pdf"


class Group(TypedDict):
    key: str          # "<area_code>-<track>", for element ids
    area_code: str
    track: str
    place: str
    track_label: str
    count: int
    people: str       # "周大山（SQ…）、李有田（SQ…）"
    earliest: str


class Posting(TypedDict):
    id: int
    id_text: str
    place: str
    track_label: str
    period: str
    posted_on: str
    over: bool
    status: str
    applications: int
    open_objections: int


def _group(g: dict) -> Group:
    people = "、".join(f"{a['name']}（{a['tracking_no']}）" for a in g["applications"])
    return Group(key=f"{g['area_code']}-{g['track']}", area_code=g["area_code"], track=g["track"],
                 place=g["place"], track_label=g["track_label"], count=g["count"], people=people,
                 earliest=g.get("earliest", ""))


def _posting(n: dict) -> Posting:
    return Posting(id=n["id"], id_text=str(n["id"]), place=n["place"], track_label=n["track_label"],
                   period=n["period"], posted_on=n["posted_on"], over=n["over"], status=n["status"],
                   applications=n["applications"], open_objections=n["open_objections"])


def _paper(actor, fn, **kwargs) -> tuple[str, bytes]:
    """One document in its own unit of work (the audit entry commits with it); runs in a thread."""
    with unit_of_work() as session:
        return fn(session, actor=actor, **kwargs)


def _posted_values(form_data: dict) -> dict:
    """Only the named inputs of a posting form (Reflex adds element ids as keys too)."""
    return {k: str(form_data.get(k) or "").strip() for k in ("area_code", "track", "posted_on", "contact")}


class NoticesState(SessionState):
    today: str = ""
    waiting: list[Group] = []
    posted: list[Posting] = []
    undisclosed: list[Group] = []
    disclosures: list[Posting] = []
    printing: bool = False
    # what posting said, shown again once its PDF is ready (the download clears messages)
    _posted_message: str = ""

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter(ACTION)
        if actor is not None:
            self._load(actor)
        return redirect

    def _load(self, actor) -> None:
        today = today_in_china()
        with unit_of_work() as session:
            board = intake_papers.notice_board(session, actor=actor, today=today)
        self.today = today.isoformat()
        self.waiting = [_group(g) for g in board["waiting"]]
        self.posted = [_posting(n) for n in board["posted"]]
        self.undisclosed = [_group(g) for g in board["undisclosed"]]
        self.disclosures = [_posting(n) for n in board["disclosures"]]

    @rx.event
    @protected(ACTION)
    def post_notice(self, actor, form_data: dict):
        values = _posted_values(form_data)
        with unit_of_work() as session:
            notice_id = intake_notice.post_notice(session, actor=actor, today=today_in_china(), **values)
        self._load(actor)
        self._posted_message = f"已登记公示张贴（{values['posted_on']}），公示文件已生成"
        return NoticesState.download_notice(notice_id)

    @rx.event
    @protected(ACTION)
    def post_disclosure(self, actor, form_data: dict):
        values = _posted_values(form_data)
        with unit_of_work() as session:
            disclosure_id = intake_notice.post_disclosure(session, actor=actor, today=today_in_china(), **values)
        self._load(actor)
        self._posted_message = f"已登记结果公开（{values['posted_on']}），公开名单已生成"
        return NoticesState.download_disclosure(disclosure_id)

    @rx.event(background=True)
    @protected_background(ACTION)
    async def download_notice(self, actor, notice_id: int):
        return await self._download(actor, intake_papers.notice_document, notice_id=int(notice_id))

    @rx.event(background=True)
    @protected_background(ACTION)
    async def download_disclosure(self, actor, notice_id: int):
        return await self._download(actor, intake_papers.disclosure_document, notice_id=int(notice_id))

    async def _download(self, actor, fn, **kwargs):
        async with self:
            self.printing = True
        try:
            filename, pdf = await asyncio.to_thread(_paper, actor, fn, **kwargs)
        finally:
            async with self:
                self.printing = False
                message, self._posted_message = self._posted_message, ""
        async with self:
            self.info = message or f"已生成“{filename}”"
        return rx.download(data=pdf, filename=filename, mime_type=PDF)


# --- the page -------------------------------------------------------------------------------

def _hidden(name: str, value) -> rx.Component:
    return rx.el.input(type="hidden", name=name, value=value)


def _posting_form(g, prefix: str, button: str, handler, hint: str) -> rx.Component:
    """Date (default today), contact and the button; the village and track ride along hidden."""
    return rx.form(
        rx.hstack(
            _hidden("area_code", g["area_code"]),
            _hidden("track", g["track"]),
            rx.vstack(rx.text("张贴（公开）日期", size="1", weight="medium"),
                      rx.input(name="posted_on", type="date", default_value=NoticesState.today,
                               max=NoticesState.today, id=f"{prefix}-date-" + g["key"], width="11em"),
                      spacing="1"),
            rx.vstack(rx.text("受理异议（监督）的单位及电话", size="1", weight="medium"),
                      rx.input(name="contact", placeholder=hint, max_length=100,
                               id=f"{prefix}-contact-" + g["key"], width="22em"),
                      spacing="1"),
            rx.button(rx.icon("file_text", size=16), button, type="submit", id=f"{prefix}-post-" + g["key"],
                      loading=NoticesState.printing),
            align="end", spacing="3", wrap="wrap",
        ),
        on_submit=handler,
        reset_on_submit=False,
    )


def _group_card(g, prefix: str, button: str, handler, note) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text(g["place"], weight="bold"), rx.badge(g["track_label"]),
                      rx.text("共 ", g["count"], " 件", size="2"), align="center", spacing="3"),
            rx.text(g["people"], size="2"),
            note,
            _posting_form(g, prefix, button, handler, "如：新民镇社会事务办 023-7451xxxx"),
            spacing="2", width="100%",
        ),
        id=f"{prefix}-village-" + g["key"], width="100%",
    )


def _waiting() -> rx.Component:
    S = NoticesState

    def card(g):
        note = rx.text("张贴日期不得早于 ", g["earliest"], "（最后一件进入公示环节的日期）；公示期由政策参数确定。",
                       size="1", color_scheme="gray")
        return _group_card(g, "notice", "登记张贴并生成公示", S.post_notice, note)

    return _section("待张贴公示", rx.cond(S.waiting.length() > 0, rx.vstack(rx.foreach(S.waiting, card),
                                                                           width="100%", spacing="3"),
                                          _empty("没有待张贴公示的申请")), "section-waiting")


def _undisclosed() -> rx.Component:
    S = NoticesState

    def card(g):
        note = rx.text("县级已认定、尚未公开的对象。", size="1", color_scheme="gray")
        return _group_card(g, "disclosure", "登记公开并生成公开名单", S.post_disclosure, note)

    return _section("待公开结果", rx.cond(S.undisclosed.length() > 0,
                                          rx.vstack(rx.foreach(S.undisclosed, card), width="100%", spacing="3"),
                                          _empty("没有待公开的认定结果")), "section-undisclosed")


def _postings(rows, prefix: str, table_id: str, with_status: bool, handler) -> rx.Component:
    headers = ["村（社区）", "业务", "公示期" if with_status else "公开日期", "申请数"]
    if with_status:
        headers += ["状态", "未处理异议"]

    def row(r):
        cells = [r["place"], r["track_label"], r["period"] if with_status else r["posted_on"], r["applications"]]
        shown = [rx.table.cell(rx.text(c, size="2")) for c in cells]
        if with_status:
            shown += [
                rx.table.cell(rx.badge(r["status"], color_scheme=rx.cond(r["over"], "gray", "green"))),
                rx.table.cell(rx.cond(r["open_objections"] > 0,
                                      rx.badge(r["open_objections"], color_scheme="red", variant="solid"),
                                      rx.text("0", size="2"))),
            ]
        label = "下载公示" if with_status else "下载公开名单"
        shown.append(rx.table.cell(rx.button(rx.icon("download", size=14), label, size="1", variant="outline",
                                             loading=NoticesState.printing, on_click=handler(r["id"]),
                                             id=f"{prefix}-download-" + r["id_text"])))
        return rx.table.row(*shown)

    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, white_space="nowrap") for h in headers],
                                     rx.table.column_header_cell("操作"))),
        rx.table.body(rx.foreach(rows, row)),
        variant="surface", size="1", width="100%", id=table_id,
    )


def _posted() -> rx.Component:
    S = NoticesState
    return _section("已张贴公示", rx.cond(S.posted.length() > 0,
                                          _postings(S.posted, "notice", "posted-notices", True, S.download_notice),
                                          _empty("尚未张贴公示")), "section-posted")


def _disclosures() -> rx.Component:
    S = NoticesState
    return _section("已公开结果", rx.cond(S.disclosures.length() > 0,
                                          _postings(S.disclosures, "disclosure", "posted-disclosures", False,
                                                    S.download_disclosure),
                                          _empty("尚未公开结果")), "section-disclosures")


def _section(title: str, body: rx.Component, section_id: str) -> rx.Component:
    return rx.vstack(rx.heading(title, size="4"), body, width="100%", spacing="2", id=section_id)


def _empty(text: str) -> rx.Component:
    return rx.text(text, size="2", color_scheme="gray")


def notices_page() -> rx.Component:
    return shell(
        "公示公开",
        rx.text("公示、公开文件隐去身份证号码中间数字，不列未成年人姓名，收入只显示区间；"
                "每次生成文件都记入审计日志。", size="2", color_scheme="gray"),
        _waiting(),
        _posted(),
        _undisclosed(),
        _disclosures(),
    )
