"""Hostile input, server side (issue 9 §6): markup typed into free text prints as text in
every PDF the portal makes; SQL metacharacters in every search box and list filter find
only what matches them literally; uploads that are too big, misnamed or carry a path in
their name are refused before anything is written. The browser half (what a page shows)
is tests/e2e's; the handler-by-handler permission sweep is test_every_handler.py's.

Runs on SQLite and PostgreSQL (the `engine` fixture). Sections: 1 PDFs, 2 page markup and
links, 3 search boxes, 4 uploads."""

import ast
import functools
import io
import re
import shutil
import tempfile
import zipfile
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest
import sqlalchemy as sa
import weasyprint
from sqlmodel import Session, SQLModel, func, select

from lowincome_portal import routes
from lowincome_portal.db.tables import ActionItem, Application, Household, User
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.errors import PortalError
from lowincome_portal.services import household_records as records
from lowincome_portal.services import (
    audit,
    households,
    intake,
    intake_notice,
    intake_papers,
    intake_submit,
    meeting_agenda,
    meeting_papers,
    meetings,
    monitoring_rules,
    referral_views,
    reports,
    resources,
    users,
    warning_writer,
    warnings,
)
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id
from tests.pdftext import flat
from tests.page_states import settle

PACKAGE = Path(__file__).resolve().parents[2] / "lowincome_portal"
COUNTY, XINMIN, SHAPING = "500231000000", "500231100000", "500231101000"
FENGHUANG, CHANGLING = "500231100200", "500231100201"   # 新民镇凤凰村, 长岭村
TODAY = today_in_china()

# --- 1. printed documents ------------------------------------------------------------------

MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</td></tr></table><h1>X</h1>",
          "{{7*7}}", "javascript:alert(1)", "&lt;b&gt;"]
ALL_MARKUP = "".join(MARKUP)
# Tags a payload could smuggle in; the documents themselves use none of them.
FOREIGN_TAGS = {"script", "img", "iframe", "object", "embed", "link", "a", "base", "meta_refresh"}

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


@pytest.fixture
def weasy_input(monkeypatch) -> list[str]:
    """Every HTML text handed to WeasyPrint while the test runs (the real renderer still runs)."""
    seen, real = [], weasyprint.HTML

    def spy(*args, **kwargs):
        seen.append(kwargs.get("string", ""))
        return real(*args, **kwargs)
    monkeypatch.setattr(weasyprint, "HTML", spy)
    return seen


def _tagged(label: str, text: str = ALL_MARKUP) -> str:
    """A field's value: its own label in brackets, then every payload, so the printed text
    shows which field each payload came through."""
    return f"〔{label}〕{text}"


def _assert_inert(html_text: str, pdf: bytes, fields: list[str]) -> int:
    """Each field (a label of _tagged) printed its payloads as typed, and the HTML has none of
    their tags. Returns the number of payload × field combinations checked."""
    return _assert_printed(html_text, pdf, [_tagged(label) for label in fields])


def _assert_printed(html_text: str, pdf: bytes, values: list[str]) -> int:
    """Each value printed as typed (wrapping aside), and the HTML handed to WeasyPrint has no
    tag, event attribute or heading that a payload brought. Returns payload × value count."""
    parser = _Tags()
    parser.feed(html_text)
    tags = [tag for tag, _ in parser.tags]
    assert not FOREIGN_TAGS & set(tags), FOREIGN_TAGS & set(tags)
    assert tags.count("h1") == 1, "only the document's own title is a heading 1"
    assert not [name for _, attrs in parser.tags for name, _ in attrs if name.startswith("on")]
    for payload in MARKUP:
        if "<" in payload or "&" in payload:
            assert payload not in html_text, payload
    printed = flat(pdf)
    for value in values:
        assert re.sub(r"\s+", "", value) in printed, value
    return sum(payload in value for value in values for payload in MARKUP)


NOTICE_FIELDS = ["县", "镇", "村", "异议电话", "发布单位", "申请人", "成员", "类别"]
LETTER_FIELDS = ["县", "编号", "申请人", "理由一", "理由二", "改纳入", "发布单位", "复议机关", "联系电话"]
MINUTES_FIELDS = ["县", "镇", "地点", "主持人", "记录人", "参会人", "成员单位", "议题", "情况说明", "讨论情况",
                  "责任人", "户主", "督办事项", "督办责任人", "办结说明", "督办户主"]
REPORT_FIELDS = ["区域", "月份", "类别", "申请类别", "预警规则", "救助类别", "帮扶单位", "乡镇", "指标"]


def _notice_dict(track: str = "assistance") -> dict:
    t = _tagged
    return {"county": t("县"), "township": t("镇"), "village": t("村"), "track": track,
            "posted_on": date(2026, 11, 2), "ends_on": date(2026, 11, 8), "contact": t("异议电话"),
            "issued_by": t("发布单位"),
            "rows": [{"applicant_name": t("申请人"), "applicant_id_number": make_id(birth=date(1960, 3, 4)),
                      "member_count": 2, "members": [{"name": t("成员"), "birth_date": date(1962, 5, 6)}],
                      "categories": [t("类别")], "per_capita_monthly_income": "356.20",
                      "start_on": date(2026, 11, 20)}]}


@needs_pdftotext
def test_every_free_text_field_of_the_intake_papers_prints_as_text(weasy_input):
    """公示, 公开 and 不予认定通知书 from their dicts, every text field holding every payload."""
    from lowincome_portal.services.intake_documents import disclosure_pdf, notice_pdf, refusal_notice_pdf

    combos = _assert_inert(*_last(weasy_input, notice_pdf(_notice_dict())), NOTICE_FIELDS)
    combos += _assert_inert(*_last(weasy_input, disclosure_pdf(_notice_dict("monitoring"))),
                            [f for f in NOTICE_FIELDS if f not in ("成员",)])
    t = _tagged
    letter = {"county": t("县"), "track": "assistance", "tracking_no": t("编号"), "applicant_name": t("申请人"),
              "applied_on": date(2026, 10, 8), "decided_on": date(2026, 11, 20),
              "reasons": f"{t('理由一')}\n{t('理由二')}", "moved_to": [t("改纳入")], "issued_by": t("发布单位"),
              "review_body": t("复议机关"), "contact": t("联系电话")}
    combos += _assert_inert(*_last(weasy_input, refusal_notice_pdf(letter)), LETTER_FIELDS)
    assert combos == 6 * (len(NOTICE_FIELDS) * 2 - 1 + len(LETTER_FIELDS))


def _last(seen: list[str], pdf: bytes) -> tuple[str, bytes]:
    assert pdf.startswith(b"%PDF") and seen
    return seen[-1], pdf


@needs_pdftotext
def test_every_free_text_field_of_the_minutes_prints_as_text(weasy_input):
    from lowincome_portal.services.meeting_documents import minutes_pdf

    t = _tagged
    head = {"head_name": t("户主"), "head_id_number": make_id(birth=date(1962, 4, 5))}
    minutes = {
        "county": t("县"), "area_name": t("镇"), "month": date(2026, 11, 1), "status": "held",
        "planned_on": date(2026, 11, 18), "held_on": date(2026, 11, 18), "approved_on": None,
        "place": t("地点"), "chair": t("主持人"), "recorder": t("记录人"), "as_of": date(2026, 11, 18),
        "attendees": [{"name": t("参会人"), "kind": "user", "signed_in": True},
                      {"name": t("成员单位"), "kind": "unit", "signed_in": True}],
        "items": [{"title": t("议题"), "detail": t("情况说明"), "discussion": t("讨论情况"), "decision": "assign",
                   "responsible": t("责任人"), "deadline": date(2026, 12, 15), "dropped": False, "household": head}],
        # the follow-up's meeting is the month the portal writes ("2026年10月"), a one-line cell
        "follow_ups": [{"meeting": "2026年10月", "title": t("督办事项"), "decision": "assign",
                        "responsible": t("督办责任人"), "deadline": date(2026, 11, 10), "status": "done",
                        "done_on": date(2026, 11, 5), "done_note": t("办结说明"),
                        "household": {**head, "head_name": t("督办户主")}}],
    }
    assert _assert_inert(*_last(weasy_input, minutes_pdf(minutes)), MINUTES_FIELDS) == 6 * len(MINUTES_FIELDS)


@needs_pdftotext
def test_every_name_in_the_monthly_report_prints_as_text(weasy_input):
    """Area, partner, township and figure names of the monthly report (its charts included:
    a label is SVG text there, checked element by element by report_pdf)."""
    from lowincome_portal.documents import report_pdf
    from tests.report_samples import sample_report

    t = _tagged
    report = sample_report()
    report.update(area_name=t("区域"), period_text=t("月份"))
    report["tags"][0]["label"] = t("类别")
    report["applications"]["by_track"][0]["label"] = t("申请类别")
    report["warnings"]["by_rule"][0]["label"] = t("预警规则")
    report["referrals"]["by_kind"][0]["label"] = t("救助类别")
    report["referrals"]["by_partner"][0]["label"] = t("帮扶单位")
    report["townships"][0]["area_name"] = t("乡镇")
    report["changes"][0]["label"] = t("指标")
    pdf = report_pdf.render(report, [])   # no trend charts: they draw no name, and take seconds
    assert _assert_inert(*_last(weasy_input, pdf), REPORT_FIELDS) == 6 * len(REPORT_FIELDS)


# The same payloads through the services and the database, as a clerk would type them. Fields
# are short (a name holds 50 characters), so the payloads come in three groups.
GROUPS = ["<script>alert(1)</script>{{7*7}}&lt;b&gt;", "<img src=x onerror=alert(1)>javascript:alert(1)",
          "</td></tr></table><h1>X</h1>"]
START = TODAY - timedelta(days=40)
OFFICE = "023-74511234"


def _born(years: int, seq: int) -> str:
    return make_id(birth=TODAY.replace(year=TODAY.year - years) - timedelta(days=3), seq=seq)


def _step(engine, actor, app_id, action, day, comment=""):
    with unit_of_work(engine) as s:
        intake.take_step(s, actor=actor, application_id=app_id, action=action, comment=comment, today=day)


def _to_notice(engine, xinmin, seq: int, name: str, member: str, income: str) -> int:
    """A station application walked to the notice step (as tests/integration/test_intake_papers)."""
    form = {"applicant_name": name, "applicant_id_number": _born(70, seq), "applicant_phone": f"1380000{seq:04d}",
            "area_code": FENGHUANG, "address": GROUPS[0], "difficulty": GROUPS[1], "consent": True,
            "members": [{"name": member, "id_number": _born(68, seq + 50), "relation": "spouse"}]}
    with unit_of_work(engine) as s:
        app_id = intake_submit.create_at_station(s, actor=xinmin, form=form, today=START)
    _step(engine, xinmin, app_id, "complete_check", START + timedelta(days=1))
    with unit_of_work(engine) as s:
        household_id = s.get(Application, app_id).household_id
        day = START + timedelta(days=3)
        records.record_visit(s, actor=xinmin, household_id=household_id, visited_on=day, findings=GROUPS[2])
        records.record_economic_status(s, actor=xinmin, household_id=household_id, recorded_on=day,
                                       values={"transfer_income": income}, source="visit")
    _step(engine, xinmin, app_id, "complete_investigation", START + timedelta(days=3))
    _step(engine, xinmin, app_id, "approve_preliminary", START + timedelta(days=4))
    return app_id


@needs_pdftotext
def test_names_contacts_and_reasons_typed_as_markup_print_on_the_intake_papers(engine, actor_of, weasy_input):
    """Applicants' and members' names, the objection contact and the refusal's reasons, typed
    through the station form and the workflow, on the 公示, the 公开 and the refusal letter."""
    xinmin, minzheng = actor_of("xinmin"), actor_of("minzheng")
    approved = [_to_notice(engine, xinmin, 11 + i, GROUPS[i], GROUPS[(i + 1) % 3], "8000") for i in range(3)]
    refused = _to_notice(engine, xinmin, 21, GROUPS[0], GROUPS[1], "17000")
    posted = START + timedelta(days=5)
    with unit_of_work(engine) as s:
        notice_id = intake_notice.post_notice(s, actor=xinmin, area_code=FENGHUANG, track="assistance",
                                              posted_on=posted, contact=OFFICE + GROUPS[0] + GROUPS[2], today=posted)
    for app_id in [*approved, refused]:
        _step(engine, xinmin, app_id, "end_notice", START + timedelta(days=12))
    for app_id in approved:
        _step(engine, minzheng, app_id, "confirm", START + timedelta(days=14), comment="符合条件")
    _step(engine, minzheng, refused, "refuse", START + timedelta(days=14),
          comment="\n".join([*MARKUP, "家庭人均月收入高于本县低保标准"]))
    with unit_of_work(engine) as s:
        disclosure_id = intake_notice.post_disclosure(s, actor=xinmin, area_code=FENGHUANG, track="assistance",
                                                      posted_on=START + timedelta(days=15),
                                                      contact=OFFICE + GROUPS[1] + GROUPS[2], today=TODAY)

    def paper(fn, **kw):
        with unit_of_work(engine) as s:
            return _last(weasy_input, fn(s, actor=xinmin, **kw)[1])
    combos = _assert_printed(*paper(intake_papers.notice_document, notice_id=notice_id),
                             [*GROUPS, OFFICE + GROUPS[0] + GROUPS[2]])          # names (both columns), contact
    combos += _assert_printed(*paper(intake_papers.disclosure_document, notice_id=disclosure_id),
                              [*GROUPS, OFFICE + GROUPS[1] + GROUPS[2]])
    combos += _assert_printed(*paper(intake_papers.refusal_letter, application_id=refused), [GROUPS[0], *MARKUP])
    assert combos == (6 + 4) + (6 + 3) + (3 + 6)   # notice, disclosure, letter: names + contact / reasons


@needs_pdftotext
def test_minutes_typed_as_markup_print_as_text(engine, actor_of, weasy_input):
    """Place, chair, an item's title, detail and discussion, the household's head and the
    note an action item was closed with, typed through the meeting service."""
    xinmin = actor_of("xinmin")
    this_month = TODAY.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    with unit_of_work(engine) as s:
        head = households.create_household(
            s, actor=xinmin, household={"area_code": FENGHUANG, "address": GROUPS[1]},
            head={"id_number": make_id(birth=date(1962, 4, 5), seq=11), "name": GROUPS[2], "employment": "farming"})
        october = meetings.create_meeting(s, actor=xinmin, area_code=XINMIN, month=last_month,
                                          planned_on=last_month.replace(day=18), place=GROUPS[0] + GROUPS[1],
                                          chair_name=GROUPS[2], unit_ids=[], today=last_month.replace(day=1))
        item = meeting_agenda.add_item(s, actor=xinmin, meeting_id=october, title=ALL_MARKUP,
                                       detail=ALL_MARKUP, household_id=head)
    with unit_of_work(engine) as s:
        meetings.mark_held(s, actor=xinmin, meeting_id=october, held_on=last_month.replace(day=18), today=TODAY)
        meeting_agenda.record_minutes(s, actor=xinmin, item_id=item, discussion=ALL_MARKUP, decision="assign",
                                      responsible_user_id=xinmin.user_id, deadline=TODAY + timedelta(days=30),
                                      today=TODAY)
    with unit_of_work(engine) as s:
        action = s.exec(select(ActionItem.id).where(ActionItem.agenda_item_id == item)).one()
        meetings.complete_action(s, actor=xinmin, action_id=action, note=ALL_MARKUP, today=TODAY)
        november = meetings.create_meeting(s, actor=xinmin, area_code=XINMIN, month=this_month, planned_on=TODAY,
                                           place="新民镇政府三楼会议室", chair_name="王芳", unit_ids=[], today=TODAY)

    def minutes(meeting_id):
        with unit_of_work(engine) as s:
            return _last(weasy_input, meeting_papers.minutes_document(s, actor=xinmin, meeting_id=meeting_id,
                                                                      today=TODAY)[1])
    first, second = minutes(october), minutes(november)
    # October: place, chair, the item (title, detail, discussion) and its household's head
    combos = _assert_printed(*first, [GROUPS[0] + GROUPS[1], GROUPS[2], ALL_MARKUP, GROUPS[2]])
    # November's follow-up of October's action item: its title, the note it was closed with, the head
    combos += _assert_printed(*second, [ALL_MARKUP, GROUPS[2]])
    assert combos == (5 + 1 + 6 + 1) + (6 + 1)
    every = re.sub(r"\s+", "", ALL_MARKUP)
    assert flat(first[1]).count(every) >= 3        # title, detail and discussion each
    assert flat(second[1]).count(every) >= 2       # the follow-up's title and its note


@needs_pdftotext
def test_township_names_typed_as_markup_print_in_the_monthly_report(engine, actor_of, weasy_input, monkeypatch):
    """Area names are the county's own data (the areas table, edited by the administrator):
    renamed to markup, they print as text in the report's township table."""
    from lowincome_portal.documents import report_charts, report_pdf

    # the charts draw no area name (their labels are covered above) and take seconds to draw
    blank = '<svg xmlns="http://www.w3.org/2000/svg" width="10pt" height="10pt"><g></g></svg>'
    monkeypatch.setattr(report_charts, "bar_svg", lambda *args, **kwargs: blank)

    with unit_of_work(engine) as s:
        for code, name in ((XINMIN, GROUPS[0]), (SHAPING, GROUPS[1])):
            resources.update(s, actor=actor_of("admin"), name="areas", key=code, raw={"name": name})
    last_month = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)
    with Session(engine) as s:
        report = reports.build_report(s, actor=actor_of("lingdao"), area_code=COUNTY, period=last_month,
                                      today=TODAY)
    pdf = report_pdf.render(report, [])
    assert _assert_printed(weasy_input[-1], pdf, GROUPS[:2]) == 5


# --- 2. pages: no raw markup, no script, links only to the portal's own routes --------------

# Components that hand text to the browser as markup or code. Reflex escapes every other text
# (React text nodes), so these are the only ways a name typed as <script> could run.
RAW_MARKUP_CALLS = {"rx.html", "rx.markdown", "rx.script", "rx.call_script", "rx.call_function",
                    "rx.el.script", "rx.el.iframe", "rx.el.object", "rx.el.embed", "rx.el.a"}
LINK_KEYS = ("href", "url", "src")


def _sources(*parts: str) -> list[tuple[Path, ast.AST]]:
    files = [f for part in parts for f in sorted((PACKAGE / part).rglob("*.py") if (PACKAGE / part).is_dir()
                                                   else [PACKAGE / part])]
    return [(f, _parsed(f)) for f in files]


@functools.cache
def _parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"))


def test_no_page_renders_markup_or_runs_script_from_data():
    """rx.html / rx.markdown / call_script and friends appear nowhere with anything but a
    literal: no page turns a stored or typed value into markup or JavaScript."""
    found = []
    for path, tree in _sources("pages", "components", "state", "lowincome_portal.py", "navigation.py"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in RAW_MARKUP_CALLS:
                if not all(isinstance(a, ast.Constant) for a in [*node.args, *(k.value for k in node.keywords)]):
                    found.append(f"{path.name}:{node.lineno} {ast.unparse(node)[:80]}")
            if isinstance(node, ast.keyword) and node.arg and "dangerously" in node.arg.lower():
                found.append(f"{path.name}:{node.lineno} {node.arg}")
        assert "dangerouslySetInnerHTML" not in path.read_text(encoding="utf-8"), path
    assert found == [], found


def _is_route(node: ast.AST) -> bool:
    """A value built by lowincome_portal/routes.py: routes.X, routes.x(...), "" (no link),
    a choice between those, an f-string that starts with a route, or a link passed on."""
    if ast.unparse(node) in PASSED_ON:
        return True
    if isinstance(node, ast.Constant):
        return node.value == ""
    if isinstance(node, ast.IfExp):
        return _is_route(node.body) and _is_route(node.orelse)
    if isinstance(node, ast.JoinedStr):
        return bool(node.values) and isinstance(node.values[0], ast.FormattedValue) and _is_route(node.values[0].value)
    target = node.func if isinstance(node, ast.Call) else node
    return ast.unparse(target).startswith("routes.")


# Links passed along rather than built, each checked where it is built:
PASSED_ON = {
    "href",             # navigation.menu_for (MENU holds routes) and referrals._notify (callers pass routes)
    "m.href",           # Notification.href, written by referrals._notify only
    "home.get('href', '')",   # meetings: the household dict built just above with routes.household
    "self.list_href",   # resources pages: routes.resource_list
    "create_href() if create_href else routes.resource_new(resource.name)",   # hooks return routes
    "href(key) if href else f'/r/{resource.name}/{key}'",   # the same, or the resource record path
    "resource.hook('detail_href')", "resource.hook('create_href')",   # the hooks: routes (tested below)
}
# Helpers whose link parameter is checked at every call instead.
LINK_HELPERS = {"back_link"}


def test_every_link_the_server_builds_is_a_portal_route():
    """Each link value in a service's or page's dict, each *_href state field and each
    href= of a page comes from routes.py (or is data a service built from it)."""
    odd = []
    for path, tree in _sources("services", "pages", "components", "resources", "navigation.py"):
        for node in ast.walk(tree):
            pairs = []
            if isinstance(node, ast.Dict):
                pairs = [(k.value, v) for k, v in zip(node.keys, node.values, strict=True)
                         if isinstance(k, ast.Constant) and str(k.value).endswith(LINK_KEYS)]
            elif isinstance(node, ast.Assign):
                pairs = [(ast.unparse(t), node.value) for t in node.targets if ast.unparse(t).endswith("href")]
            elif isinstance(node, ast.keyword) and node.arg in LINK_KEYS and "pages" in path.parts:
                # a page's link: a route, a value a service or state handler put in the state, or
                # the parameter of a link helper
                if not (_is_route(node.value) or isinstance(node.value, ast.Subscript | ast.Attribute)
                        or _parameter_of(tree, node, LINK_HELPERS)):
                    odd.append(f"{path.name}:{node.value.lineno} {ast.unparse(node.value)}")
            for key, value in pairs:
                if not _is_route(value):
                    odd.append(f"{path.name}:{value.lineno} {key}: {ast.unparse(value)}")
            if isinstance(node, ast.Call) and ast.unparse(node.func) in LINK_HELPERS:
                link = node.args[0] if node.args else None
                if not (_is_route(link) or isinstance(link, ast.Attribute)):
                    odd.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    assert odd == [], odd
    from lowincome_portal.navigation import MENU
    assert all(_site_path(href) for _, href, _ in MENU)
    notifications = [n for _, tree in _sources("services") for n in ast.walk(tree)
                     if isinstance(n, ast.Call) and ast.unparse(n.func) == "_notify"]
    assert notifications and all(_is_route(n.args[3]) for n in notifications)


def _parameter_of(tree: ast.AST, keyword: ast.keyword, helpers: set[str]) -> bool:
    """Is the keyword's value a bare parameter of one of `helpers` (defined in this file)?"""
    return isinstance(keyword.value, ast.Name) and any(
        isinstance(f, ast.FunctionDef) and f.name in helpers and keyword.value.id in {a.arg for a in f.args.args}
        and keyword in ast.walk(f) for f in ast.walk(tree))


def _site_path(href: str) -> bool:
    parts = urlsplit(href)
    return href.startswith("/") and not href.startswith("//") and not parts.scheme and not parts.netloc


@pytest.mark.parametrize("value", [*MARKUP, "javascript:alert(1)//", "//evil.example/x", "https://evil.example",
                                   " javascript:alert(1)", "\\\\evil.example", "data:text/html,<b>"], ids=repr)
def test_route_builders_make_paths_of_this_site_whatever_they_are_given(value):
    """The builders put ids (and a resource's key) after a fixed path, so even a key typed as
    javascript: or //host cannot make a link leave the portal or run script."""
    from lowincome_portal.resources import REGISTRY
    from lowincome_portal.resources.households import HouseholdHooks

    built = [routes.household(value), routes.application(value), routes.referral(value), routes.meeting(value),
             routes.warning(value), routes.investigation(value), routes.resource_record("areas", value),
             routes.resource_edit("areas", value), routes.resource_list(value), routes.resource_new(value),
             HouseholdHooks.detail_href(value)]
    built += [r.hooks.detail_href(value) for r in REGISTRY.values() if r.hook("detail_href")]
    assert all(_site_path(href) for href in built), built


# --- 3. search boxes and list filters ------------------------------------------------------

SQL_PAYLOADS = ["' OR '1'='1", "'; DROP TABLE household; --", "%", "_", "\\", '"', "%' --", "\x00",
                "李\x00%", "x" * 10_000]
# Heads whose names hold LIKE's own wildcards: a search for "%" must find 李%四 only.
HEADS = {"李%四": "凤凰村一组 5% 坡地", "王_五": "长岭村二组", "张三": "凤凰村三组 12 号"}


def _literal_hit(term: str, *values) -> bool:
    """Does `term` occur in one of `values` as typed (SQLite's LIKE ignores ASCII case)?"""
    needle = term.strip().casefold()
    return any(needle in str(v or "").casefold() for v in values)


def _refused_or_ran(call):
    """Run a search; a refusal must be the portal's own (a Chinese message: 输入有误, 区域不存在),
    anything else - a database error above all - is a bug."""
    try:
        return call()
    except PortalError as exc:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.message), exc.message
        return None


@pytest.fixture
def registry(engine, actor_of) -> dict[str, int]:
    xinmin = actor_of("xinmin")
    ids = {}
    for seq, (name, address) in enumerate(HEADS.items(), start=11):
        with unit_of_work(engine) as s:
            ids[name] = households.create_household(
                s, actor=xinmin, household={"area_code": FENGHUANG if seq != 12 else CHANGLING,
                                            "address": address},
                head={"id_number": make_id(birth=date(1960, 1, seq), seq=seq), "name": name,
                      "employment": "farming"})
    period = date(TODAY.year, TODAY.month, 1) - timedelta(days=1)
    with unit_of_work(engine) as s:   # one warning per household, as a department import writes it
        rule = next(r for r in monitoring_rules.active_rules(s, period.replace(day=1)) if r.code == "medical_annual")
        hits = pd.DataFrame({"household_id": list(ids.values()), "member_id": [None] * 3,
                             "value": [9000.0] * 3, "threshold": [5000.0] * 3, "evidence": ["医疗自付费用"] * 3})
        warning_writer.write(s, hits=hits, rule=rule, period=period.replace(day=1), source="medical_insurance",
                             batch_id=None, actor=None, today=TODAY)
    with unit_of_work(engine) as s:   # its household is the fourth: 周_七, 凤凰村四组 %20
        app_id = intake_submit.create_at_station(s, actor=xinmin, today=TODAY, form={
            "applicant_name": "周_七", "applicant_id_number": make_id(birth=date(1970, 2, 3), seq=31),
            "applicant_phone": "13800001111", "area_code": FENGHUANG, "address": "凤凰村四组 %20",
            "difficulty": "因病致贫", "consent": True, "members": []})
    with Session(engine) as s:
        ids["周_七"] = s.get(Application, app_id).household_id
    return ids


def _tables_still_there(engine) -> None:
    """Every table of the schema is still there, and so are the rows the searches looked at."""
    missing = set(SQLModel.metadata.tables) - set(sa.inspect(engine).get_table_names())
    assert not missing, missing
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(User)).one() > 0
        assert s.exec(select(func.count()).select_from(Household)).one() == len(HEADS) + 1


def _searchable_resources():
    from lowincome_portal.resources import REGISTRY
    return [r for r in REGISTRY.values() if r.search_fields]


def test_resource_list_search_finds_only_literal_matches(engine, actor_of, registry):
    """Every /r/<resource> search box (households, applications, areas, stations, partners,
    parameters, data sources, columns, rules, thresholds) and every one of their filters."""
    minzheng = actor_of("minzheng")
    for payload in SQL_PAYLOADS:
        _search_resources(engine, minzheng, payload)
    with Session(engine) as s:
        page = resources.list_page(s, actor=minzheng, name="households", query=resources.ListQuery(search="%"))
    assert sorted(r["_key"] for r in page.rows) == sorted([str(registry["李%四"]), str(registry["周_七"])])
    _tables_still_there(engine)


def _search_resources(engine, minzheng, payload: str) -> None:
    for resource in _searchable_resources():
        query = resources.ListQuery(search=payload, page_size=100)
        with Session(engine) as s:
            page = _refused_or_ran(lambda: resources.list_page(s, actor=minzheng, name=resource.name, query=query))
            for row in page.rows if page else []:
                record = s.get(resource.model, int(row["_key"]) if resource.key == "id" else row["_key"])
                values = [getattr(record, f) for f in resource.search_fields]
                if resource.name == "households":
                    values += [m.name for m in households_members(s, record.id)]
                if resource.name == "applications":
                    values += [record.tracking_no, record.applicant_id_number]
                assert _literal_hit(payload, *values), (resource.name, payload[:20], row)
        for name in resource.filters:
            query = resources.ListQuery(filters={name: payload})
            with Session(engine) as s:
                page = _refused_or_ran(lambda: resources.list_page(s, actor=minzheng, name=resource.name,
                                                                   query=query))
            # a yes/no filter reads anything but "true" as "no"; every other filter matches exactly
            assert page is None or page.total == 0 or resource.field(name).kind == "bool", \
                (resource.name, name, payload[:20])


def households_members(session, household_id):
    from lowincome_portal.db.tables import Member
    return session.exec(select(Member).where(Member.household_id == household_id)).all()


def test_user_audit_warning_referral_and_status_searches(engine, actor_of, registry):
    """The accounts search (username or name), the audit trail's filters, the warnings
    inbox's filters (head's name, rule, township ...), the referral list's status filter and
    the public /apply/status lookup."""
    admin, minzheng = actor_of("admin"), actor_of("minzheng")
    for payload in SQL_PAYLOADS:
        _search_the_rest(engine, admin, minzheng, payload)
    _tables_still_there(engine)


def actor_of_leader(session):
    from lowincome_portal.services.auth import actor_for
    return actor_for(session, session.exec(select(User).where(User.username == "lingdao")).one())


def _search_the_rest(engine, admin, minzheng, payload: str) -> None:
    with Session(engine) as s:
        found = _refused_or_ran(lambda: users.list_users(s, actor=admin, search=payload, page_size=500))
    for row in (found[0] if found else []):
        assert _literal_hit(payload, row["username"], row["display_name"]), (payload[:20], row["username"])

    for field in ("username", "entity", "entity_id", "action"):
        with Session(engine) as s:
            found = _refused_or_ran(lambda: audit.list_entries(
                s, actor=admin, filters=audit.AuditFilter(**{field: payload}), page_size=500))
        assert found is None or found[1] == 0, (field, payload[:20])

    with Session(engine) as s:
        found = _refused_or_ran(lambda: warnings.inbox(s, actor=minzheng, filters={"q": payload}))
    for row in (found["rows"] if found else []):
        assert _literal_hit(payload, row["head_name"]), (payload[:20], row["head_name"])
    for field in ("rule", "severity", "township", "status", "department"):
        with Session(engine) as s:
            found = _refused_or_ran(lambda: warnings.inbox(s, actor=minzheng, filters={field: payload}))
        assert found is None or found["total"] == 0, (field, payload[:20])

    with Session(engine) as s:
        found = _refused_or_ran(lambda: referral_views.referral_list(s, actor=minzheng, status=payload))
    assert not found

    with Session(engine) as s:   # the month and area pickers of the meetings and reports pages
        assert not _refused_or_ran(lambda: meetings.list_meetings(s, actor=minzheng, month=payload, today=TODAY))
        assert not _refused_or_ran(lambda: reports.archive(s, actor=minzheng, area_code=payload))
        assert _refused_or_ran(lambda: reports.leader_summary(s, actor=actor_of_leader(s), area_code=payload,
                                                              period=payload, today=TODAY)) is None

    with unit_of_work(engine) as s:
        with pytest.raises(PortalError) as refused:
            intake_submit.public_status(s, tracking_no=payload, id_number=payload, client_key="203.0.113.9")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message)


def test_a_search_for_a_wildcard_finds_only_names_holding_it(engine, actor_of, registry):
    """The accounts search once built LIKE '%<term>%' itself: "%" listed every account."""
    admin = actor_of("admin")
    with Session(engine) as s:
        everyone = users.list_users(s, actor=admin, page_size=500)[1]
        assert everyone > 3
        assert users.list_users(s, actor=admin, search="%")[1] == 0
        assert users.list_users(s, actor=admin, search="_")[1] == 0
        assert users.list_users(s, actor=admin, search="xin")[1] >= 1
        minzheng = actor_of("minzheng")
        assert warnings.inbox(s, actor=minzheng)["total"] == 3
        for term, name, also in (("%", "李%四", "周_七"), ("_", "王_五", "周_七")):
            inbox = warnings.inbox(s, actor=minzheng, filters={"q": term})
            assert [r["household_id"] for r in inbox["rows"]] == [str(registry[name])], term
            page = resources.list_page(s, actor=minzheng, name="households",
                                       query=resources.ListQuery(search=term))
            assert sorted(r["_key"] for r in page.rows) == sorted([str(registry[name]), str(registry[also])])
        apps = resources.list_page(s, actor=minzheng, name="applications", query=resources.ListQuery(search="_"))
        assert [r["applicant_name"] for r in apps.rows] == ["周_七"]
        assert resources.list_page(s, actor=minzheng, name="applications",
                                   query=resources.ListQuery(search="%")).total == 0


# --- 4. uploads ---------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 64
TRAVERSAL_NAMES = ["../../etc/passwd.csv", "..\\..\\x.xlsx", "/etc/passwd", "C:\\Windows\\名册.xlsx",
                   "名册\x00.csv", "名册.csv\x00.exe", "\x1b[31m名册.xlsx"]


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("readme.txt", "不是表格")
    return buffer.getvalue()


def _xlsx() -> bytes:
    from lowincome_portal.services import registry_import
    return registry_import.template_workbook()


# (name, bytes) the upload may take in (a spreadsheet's name) but whose content is something else
MISNAMED_CONTENT = [("名册.xlsx", PNG), ("名册.xlsx", _zip_without_workbook()), ("名册.xlsx", EXE),
                    ("名册.csv", PNG), ("名册.csv", _zip_without_workbook()), ("名册.csv", EXE)]
MISNAMED_TYPES = [("setup.exe", EXE), ("photo.png", PNG), ("archive.zip", _zip_without_workbook()),
                  ("名册.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 64), ("名册", b"a,b\n1,2\n")]


class _Upload:
    """A file as an upload handler receives it: the name the browser sent, and the bytes."""

    def __init__(self, name: str, data: bytes):
        self.name, self._data = name, data

    async def read(self) -> bytes:
        return self._data




def _importers():
    """(page state, its background job, its upload limit, the demo login that may import)."""
    from lowincome_portal.pages import application_import, monitoring_import, registry_import
    from lowincome_portal.services import registry_import as registry_service

    month = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)
    monitoring = functools.partial(monitoring_import._run, source_code="medical_insurance", period=month)
    return [(registry_import.RegistryImportState, registry_import._run, registry_service.MAX_UPLOAD_BYTES, "xinmin"),
            (application_import.ApplicationImportState, application_import._run, registry_service.MAX_UPLOAD_BYTES,
             "xinmin"),
            (monitoring_import.MonitoringImportState, monitoring, monitoring_import.MAX_UPLOAD_BYTES, "minzheng")]


@pytest.fixture
def upload_dir(tmp_path, monkeypatch) -> Path:
    """The import pages keep an upload under the temp folder; here a temp folder of this test's
    own, so files other tests (or a running portal) keep there do not count."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path / "lowincome-portal-uploads"


def _kept_files(folder: Path) -> set[Path]:
    """Files in the upload folder and in the temp folder above it (where a "../x" would land;
    the SQLite test database and its journals live there too, and do not count)."""
    return ({p for p in folder.rglob("*")} | {p for p in folder.parent.glob("*")
                                               if p.is_file() and not p.name.startswith("portal.db")})


def _rows_written(engine) -> dict[str, int]:
    from lowincome_portal.db.tables import ImportBatch, Member, RiskWarning
    with Session(engine) as s:
        counts = {m.__name__: s.exec(select(func.count()).select_from(m)).one()
                  for m in (Household, Member, Application, RiskWarning)}
        # a department file that fails leaves a "failed" batch: the record that it was tried
        counts["done_batches"] = s.exec(select(func.count()).select_from(ImportBatch)
                                        .where(ImportBatch.status != "failed")).one()
    return counts


def _chinese(message: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in message)


def _upload(state_cls, engine, username, name, data, folder: Path):
    """Hand one file to a page's upload handler: (state, what it returned, files it wrote)."""
    from tests.page_states import state_for

    state = state_for(state_cls, engine, username)
    settle(state_cls.on_enter.fn(state))
    before = _kept_files(folder)
    follow_up = settle(state_cls.upload.fn(state, [_Upload(name, data)]))
    return state, follow_up, _kept_files(folder) - before


def test_oversized_misnamed_and_path_named_uploads_are_refused_before_anything_is_kept(engine, upload_dir):
    """Each import page's upload handler: a file one byte over its limit, a file whose name
    is not a spreadsheet's, and a file whose name carries a path or control characters are
    refused with a Chinese message; nothing is kept on disk and nothing reaches the tables."""
    written = _rows_written(engine)
    cases = 0
    for state_cls, _, limit, username in _importers():
        refused = [("名册.xlsx", bytes(limit + 1)), *MISNAMED_TYPES,
                   *((name, b"\xe5\xa7\x93\xe5\x90\x8d\n") for name in TRAVERSAL_NAMES)]
        for name, data in refused:
            state, follow_up, kept = _upload(state_cls, engine, username, name, data, upload_dir)
            assert follow_up is None and not state.running, (state_cls.__name__, name)
            assert state.error and _chinese(state.error) and "系统繁忙" not in state.error, (name, state.error)
            assert "\x00" not in state.error and "\x1b" not in state.error
            assert kept == set(), kept
            cases += 1
        big = next(r for r in refused if len(r[1]) > limit)
        state, _, _ = _upload(state_cls, engine, username, *big, upload_dir)
        assert "超过" in state.error
    assert cases == 3 * (1 + len(MISNAMED_TYPES) + len(TRAVERSAL_NAMES))
    assert _rows_written(engine) == written
    for target in (Path("/etc/passwd.csv"), Path("/x.xlsx"), upload_dir.parent.parent / "passwd.csv",
                   Path.cwd() / "x.xlsx", Path.cwd().parent / "x.xlsx"):
        assert not target.exists(), target


def test_a_spreadsheet_name_on_other_content_is_refused_by_the_import(engine, actor_of, upload_dir):
    """A PNG, an executable or a plain zip named .xlsx or .csv passes the name check, is kept
    under a random name inside the upload folder, and the import refuses it in Chinese with
    nothing saved; so does a real workbook named .csv."""
    from lowincome_portal.pages.registry_import import Progress

    written = _rows_written(engine)
    for state_cls, run, _, username in _importers():
        for name, data in [*MISNAMED_CONTENT, ("名册.csv", _xlsx())]:
            state, follow_up, kept = _upload(state_cls, engine, username, name, data, upload_dir)
            assert follow_up is not None and state.error == "", (state_cls.__name__, name, state.error)
            [path] = kept
            try:
                assert path.parent == upload_dir and path.stem != Path(name).stem
                assert path.suffix in (".xlsx", ".csv") and path.read_bytes() == data
                report = run(actor_of(username), state._upload_name, data, Progress())
            finally:
                path.unlink(missing_ok=True)
            messages = [m for *_, m in report.errors] + [getattr(report, "message", "") or ""]
            assert not getattr(report, "ok", False) or getattr(report, "failed", False)
            assert any(_chinese(m) and ("不是" in m or "损坏" in m) for m in messages), (name, messages)
    assert _rows_written(engine) == written


def test_the_areas_command_refuses_what_is_not_an_areas_csv(tmp_path, db_url, capsys):
    """load-areas reads a file the operator names: too big, binary, a workbook named .csv or a
    NUL in a name is refused with a Chinese message, exit code 2, and no area changed."""
    from lowincome_portal import cli
    from lowincome_portal.db.engine import engine_for
    from lowincome_portal.db.tables import Area

    def areas():
        with Session(engine_for(db_url)) as s:
            return sorted((a.code, a.name) for a in s.exec(select(Area)).all())
    before = areas()
    big = tmp_path / "big.csv"
    with big.open("wb") as f:          # sparse: a size, not a real 50 MB on disk
        f.truncate(cli.MAX_AREAS_FILE_BYTES + 1)
    files = {"big.csv": None, "png.csv": PNG, "zip.csv": _zip_without_workbook(), "book.csv": _xlsx(),
             "nul.csv": "区划代码,名称,上级代码\n500231100200,凤凰\x00村,500231100000\n".encode()}
    for name, data in files.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        assert cli.main(["load-areas", str(path)]) == 2, name
        err = capsys.readouterr().err
        assert _chinese(err) and "Traceback" not in err, (name, err)
    assert areas() == before
