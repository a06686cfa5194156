"""The monthly report as a PDF (月度报告): the figures of one area and month, section by
section, for the county's leaders and the monthly joint meeting.

A pure function of the report dict that services/reports.build_report returns (its shape:
docs/reporting.md, API; tests/report_samples.py has a full example), plus optionally the
12-month trend from services/reports (report_data.main_by_month). No database, no permission check: the
service that loads the report has done both. The report holds counts and amounts only.

Layout: the shared A4 page of documents/base.py (running heading, "第 1 页，共 3 页" from CSS
counters) with a few additions in a <style> of this document's own - the document's styles
are author styles and win over base's - for compact number tables, charts and a footer line
with the time the report was generated. Every text, partner and area names included, goes
through base's escaping helpers. Charts are matplotlib SVG (documents/report_charts.py)
placed inline: base's renderer fetches no URL at all, a data: URI included, and inline SVG
keeps the labels as text. matplotlib escapes the labels it writes; `_checked_svg` still
parses the SVG and refuses anything but drawing elements, so a chart cannot carry markup.

Figures a month may lack print as "—": a median with nothing decided, a change against a
month with 0, a share of nothing.
"""

import xml.etree.ElementTree as ElementTree
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from . import report_charts
from .base import Column, chinese_date, document, esc, heading, paragraph, render_pdf, table, title

HEADING = "垫江县农村低收入人口常态化救助帮扶月度报告"
SECTIONS = {
    "tags": "一、困难群众在册情况",
    "applications": "二、救助申请办理",
    "warnings": "三、监测预警",
    "referrals": "四、转介帮扶",
    "meetings": "五、联席会议",
    "burden": "六、减轻基层负担",
    "changes": "七、主要指标变化",
    "townships": "八、各乡镇情况",
}
BLANK = "—"
KEEP_TOGETHER_ROWS = 15
CHINA = ZoneInfo("Asia/Shanghai")

EXTRA_STYLE = """
@page { @bottom-left { content: element(report-foot); vertical-align: top; } }
.report-foot { position: running(report-foot); font-family: "Noto Sans CJK SC", sans-serif;
               font-size: 8pt; color: #555; }
.subtitle { text-align: center; text-indent: 0; font-size: 11pt; margin: 0 0 1mm; }
.generated { text-align: center; text-indent: 0; font-size: 9pt; color: #444; margin: 0 0 4mm; }
h2 { margin-top: 6mm; }
h3 { font-size: 10.5pt; margin-top: 3mm; }
p { font-size: 11pt; }
table { font-size: 9pt; margin: 2mm 0 3mm; }
th { white-space: normal; padding: 1mm 0.8mm; }
td { padding: 1mm 1mm; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.name { text-align: left; }
tr.total td { font-weight: bold; background: #f4f4f4; }
p.lead { break-after: avoid; }
.keep { break-inside: avoid; }
.wide table { font-size: 8pt; }
.wide th, .wide td { padding: 1mm 0.6mm; }
.chart { break-inside: avoid; margin: 1mm 0 3mm; }
table.chart-row { margin: 1mm 0 2mm; break-inside: avoid; }
table.chart-row td { border: none; padding: 0; width: 50%; vertical-align: top; }
table.chart-row svg { width: 100%; height: auto; display: block; }
.chart svg { width: 100%; height: auto; display: block; }
.chart .caption { text-align: center; text-indent: 0; font-size: 9pt; color: #333; margin: 0; }
"""

# Which trend lines share a chart: stock (households, persons), flow counts, money. A key's
# group is read from its name so the charts follow MAIN_FIGURES as domain/reporting names them.
_STOCK_PREFIXES = ("households", "persons")


def render(report: dict, trend: list[dict] | None = None) -> bytes:
    """The report as PDF bytes; `trend` (12 months of main figures, oldest first; by default
    the report's own "trend") adds the month-by-month charts to section 七."""
    trend = report.get("trend") if trend is None else trend
    area = report.get("area_name", "")
    month = report.get("period_text") or _month_text(_as_date(report.get("period")))
    generated = _generated_at(report)
    body = [
        f"<style>{EXTRA_STYLE}</style>",
        f'<div class="report-foot">{esc(f"生成时间：{generated}")}</div>',
        title(HEADING),
        paragraph(f"（{area}　{month}）", "subtitle"),
        paragraph(f"统计区域：{area}　统计期间：{_period_span(report)}　生成时间：{generated}", "generated"),
        *_tags_section(report.get("tags") or []),
        *_applications_section(report.get("applications") or {}),
        *_warnings_section(report.get("warnings") or {}),
        *_referrals_section(report.get("referrals") or {}),
        *_meetings_section(report.get("meetings") or {}),
        *_burden_section(report.get("burden") or {}),
        *_changes_section(report.get("changes") or [], trend),
    ]
    if "townships" in report:
        body += _townships_section(report.get("townships") or [], report.get("changes") or [])
    return render_pdf(document(doc_title=f"{area}{month}{HEADING}",
                               running_head=f"{HEADING}（{area} {month}）", body=body))


# --- sections -----------------------------------------------------------------------------

def _tags_section(tags: list[dict]) -> list[str]:
    total = next((row for row in tags if row.get("tag") == "total"), None)
    by_tag = [row for row in tags if row.get("tag") != "total"]
    parts = [heading(SECTIONS["tags"])]
    if total:
        parts.append(paragraph(
            f"月末在册困难群众{_int(total.get('households_end'))}户{_int(total.get('persons_end'))}人，"
            f"本月新增{_int(total.get('households_new'))}户{_int(total.get('persons_new'))}人，"
            f"退出{_int(total.get('households_exited'))}户{_int(total.get('persons_exited'))}人"
            "（一户可同时属于多个类别，合计按户去重）。", "lead"))
    columns = [Column("类别", "16%", "name")] + [Column(label, "10.5%", "num") for label in
                                                ("月初户数", "新增户数", "退出户数", "月末户数",
                                                 "月初人数", "新增人数", "退出人数", "月末人数")]
    keys = ("households_start", "households_new", "households_exited", "households_end",
            "persons_start", "persons_new", "persons_exited", "persons_end")
    rows = [[row.get("label", row.get("tag", ""))] + [_int(row.get(k)) for k in keys] for row in by_tag]
    parts.append(_table(columns, rows, total=[total.get("label", "合计")] + [_int(total.get(k)) for k in keys]
                        if total else None))
    if by_tag:
        parts.append(_chart(report_charts.bar_svg(
            [row.get("label", "") for row in by_tag],
            {"月初": [_num(row.get("households_start")) for row in by_tag],
             "月末": [_num(row.get("households_end")) for row in by_tag]},
            "各类别在册户数（月初、月末）")))
    return parts


def _applications_section(apps: dict) -> list[str]:
    median = apps.get("median_working_days")
    text = (f"本月受理申请{_int(apps.get('received'))}件，办结{_int(apps.get('decided'))}件"
            f"（批准{_int(apps.get('approved'))}件、不予批准{_int(apps.get('refused'))}件），"
            f"月末超期在办{_int(apps.get('overdue'))}件；")
    text += ("本月无办结申请。" if median is None
             else f"办结申请从受理到办结用时中位数{_decimal(median, 1)}个工作日。")
    columns = [Column("申请类别", "30%", "name")] + [Column(label, "14%", "num") for label in
                                                  ("受理", "办结", "批准", "不予批准", "超期在办")]
    keys = ("received", "decided", "approved", "refused", "overdue")
    rows = [[row.get("label", row.get("track", ""))] + [_int(row.get(k)) for k in keys]
            for row in apps.get("by_track") or []]
    return [heading(SECTIONS["applications"]), paragraph(text, "lead"),
            _table(columns, rows, total=["合计"] + [_int(apps.get(k)) for k in keys])]


def _warnings_section(warnings: dict) -> list[str]:
    text = (f"本月发出预警{_int(warnings.get('raised'))}条，核实处置{_int(warnings.get('handled'))}条，"
            f"反馈办结{_int(warnings.get('fed_back'))}条，月末超期未反馈{_int(warnings.get('overdue'))}条。")
    columns = [Column("预警规则", "36%", "name")] + [Column(label, "16%", "num") for label in
                                                  ("发出", "核实处置", "反馈", "超期未反馈")]
    keys = ("raised", "handled", "fed_back", "overdue")
    rows = [[row.get("label", row.get("rule", ""))] + [_int(row.get(k)) for k in keys]
            for row in warnings.get("by_rule") or []]
    return [heading(SECTIONS["warnings"]), paragraph(text, "lead"),
            _table(columns, rows, total=["合计"] + [_int(warnings.get(k)) for k in keys])]


def _referrals_section(refs: dict) -> list[str]:
    text = (f"本月转介派单{_int(refs.get('dispatched'))}件，认领{_int(refs.get('claimed'))}件，"
            f"办结{_int(refs.get('completed'))}件，办结帮扶金额{_money(refs.get('amount'))}元；"
            f"月末超期未办结{_int(refs.get('overdue'))}件。")
    keys = ("dispatched", "claimed", "completed", "overdue")
    labels = ("派单", "认领", "办结", "超期")
    total = ["合计"] + [_int(refs.get(k)) for k in keys] + [_money(refs.get("amount"))]
    by_kind = refs.get("by_kind") or []
    kind_columns = ([Column("救助类别", "30%", "name")] + [Column(label, "11%", "num") for label in labels]
                    + [Column("办结金额（元）", "26%", "num")])
    kind_rows = [[row.get("label", row.get("kind", ""))] + [_int(row.get(k)) for k in keys]
                 + [_money(row.get("amount"))] for row in by_kind]
    partners = refs.get("by_partner") or []
    partner_columns = ([Column("帮扶单位", "30%", "name")] + [Column(label, "11%", "num") for label in labels]
                       + [Column("办结金额（元）", "26%", "num")])
    partner_rows = [[str(row.get("label") or "")] + [_int(row.get(k)) for k in keys] + [_money(row.get("amount"))]
                    for row in partners]
    parts = [heading(SECTIONS["referrals"]), paragraph(text, "lead"),
             _table(kind_columns, kind_rows, total=total, caption="（一）按救助类别")]
    if by_kind:
        parts.append(_chart(report_charts.bar_svg(
            [row.get("label", row.get("kind", "")) for row in by_kind],
            {"派单": [_num(row.get("dispatched")) for row in by_kind],
             "办结": [_num(row.get("completed")) for row in by_kind]},
            "各救助类别转介件数")))
    parts.append(_table(partner_columns, partner_rows, total=total, caption="（二）按帮扶单位"))
    return parts


def _meetings_section(meetings: dict) -> list[str]:
    text = (f"本月召开联席会议{_int(meetings.get('held'))}次，形成决定{_int(meetings.get('decisions'))}项，"
            f"督办事项办结{_int(meetings.get('actions_done'))}项，"
            f"月末超期未办结{_int(meetings.get('actions_overdue'))}项。")
    columns = [Column("召开会议（次）", "25%", "center"), Column("形成决定（项）", "25%", "center"),
               Column("督办事项办结（项）", "25%", "center"), Column("超期未办结（项）", "25%", "center")]
    row = [_int(meetings.get(k)) for k in ("held", "decisions", "actions_done", "actions_overdue")]
    return [heading(SECTIONS["meetings"]), paragraph(text, "lead"), _table(columns, [row])]


def _burden_section(burden: dict) -> list[str]:
    share = burden.get("prefilled_share")
    investigated = burden.get("investigated")
    lead = f"本月完成入户调查{_int(investigated)}份，" if investigated is not None else "本月完成的入户调查中，"
    text = (f"{lead}系统预填字段{_int(burden.get('fields_prefilled'))}项、手工录入"
            f"{_int(burden.get('fields_typed'))}项，预填率{_share(share)}；"
            f"入户走访{_int(burden.get('visits'))}次，一次走访完成多项任务，减少入户"
            f"{_int(burden.get('visits_avoided'))}次。")
    columns = [Column("指标", "60%", "name"), Column("数值", "40%", "num")]
    rows = [["完成入户调查（份）", _int(investigated)] if investigated is not None else None,
            ["系统预填字段（项）", _int(burden.get("fields_prefilled"))],
            ["手工录入字段（项）", _int(burden.get("fields_typed"))],
            ["预填率", _share(share)],
            ["入户走访（次）", _int(burden.get("visits"))],
            ["合并走访减少入户（次）", _int(burden.get("visits_avoided"))]]
    return [heading(SECTIONS["burden"]), paragraph(text, "lead"), _table(columns, [r for r in rows if r])]


def _changes_section(changes: list[dict], trend: list[dict] | None) -> list[str]:
    columns = [Column("指标", "24%", "name"), Column("本月", "15%", "num"), Column("上月", "15%", "num"),
               Column("环比", "11%", "num"), Column("去年同月", "15%", "num"), Column("同比", "11%", "num")]
    rows = [[row.get("label", row.get("key", "")), _figure(row.get("key"), row.get("value")),
             _figure(row.get("key"), row.get("previous")), _pct(row.get("mom_pct")),
             _figure(row.get("key"), row.get("last_year")), _pct(row.get("yoy_pct"))] for row in changes]
    parts = [heading(SECTIONS["changes"]),
             paragraph("环比为与上月相比，同比为与上年同月相比；上期为0时不计算变化幅度。", "note lead"),
             _table(columns, rows)]
    if trend:
        parts += _trend_charts(trend, {row.get("key"): row.get("label") for row in changes})
    return parts


def _trend_charts(trend: list[dict], labels: dict) -> list[str]:
    """Stock figures (households, persons) each in a half-width chart whose scale fits the
    values; the monthly counts together; the money on its own scale."""
    months = [_as_date(row.get("period")) for row in trend]
    x_labels = [f"{m.month}月" if isinstance(m, date) else str(row.get("period_text", ""))
                for m, row in zip(months, trend, strict=True)]
    span = (f"（{_month_text(months[0])}—{_month_text(months[-1])}）"
            if isinstance(months[0], date) and isinstance(months[-1], date) else "")
    keys = [key for key in labels if key and any(key in row for row in trend)]

    def values(key: str) -> list[float | None]:
        return [None if row.get(key) is None else _num(row.get(key)) for row in trend]

    stock = [k for k in keys if k.startswith(_STOCK_PREFIXES)]
    counts = [k for k in keys if k not in stock and "amount" not in k]
    money = [k for k in keys if "amount" in k]
    parts = [heading(f"近{len(trend)}个月走势{span}", 3)]
    if stock:
        cells = "".join(
            f'<td>{_checked_svg(report_charts.line_svg(x_labels, {labels[k]: values(k)}, labels[k], size_mm=(84, 55), zero_based=False))}</td>'
            for k in stock)
        parts.append(f'<table class="chart-row"><tbody><tr>{cells}</tr></tbody></table>')
    if counts:
        parts.append(_chart(report_charts.line_svg(x_labels, {labels[k]: values(k) for k in counts},
                                                   "各项办理件数", size_mm=(170, 62))))
    for key in money:
        parts.append(_chart(report_charts.line_svg(x_labels, {labels[key]: values(key)}, labels[key],
                                                   size_mm=(170, 52))))
    return parts


def _townships_section(townships: list[dict], changes: list[dict]) -> list[str]:
    # The township columns are the main figures (as `changes` names them) the rows carry.
    figures = [(row["key"], row.get("label", row["key"])) for row in changes
               if row.get("key") and any(row["key"] in t for t in townships)]
    share = f"{68 / max(len(figures), 1):.2f}%"
    columns = ([Column("序号", "4.5%", "center"), Column("乡镇（街道）", "11.5%", "name")]
               + [Column(label, share, "num") for _, label in figures]
               + [Column("超期/在办", "8%", "num"), Column("超期率", "8%", "num")])
    rows = [[index, row.get("area_name", "")] + [_figure(key, row.get(key)) for key, _ in figures]
            + [f"{_int(row.get('overdue'))}/{_int(row.get('open'))}" if "open" in row else BLANK,
               _share(row.get("overdue_rate"))]
            for index, row in enumerate(townships, start=1)]
    return [heading(SECTIONS["townships"]),
            paragraph("按超期率从高到低排列。超期率＝月末超期未办结的申请、预警、转介和督办事项数"
                      "÷月末在办的上述事项数。", "note lead"),
            f'<div class="wide">{_table(columns, rows)}</div>']


# --- pieces -------------------------------------------------------------------------------

def _table(columns: list[Column], rows: list[list], total: list | None = None, caption: str = "") -> str:
    """base.table, with a bold 合计 row appended when there are rows to add up, and an
    optional sub-heading. A short table is kept on one page with its sub-heading; a long
    one breaks between rows and repeats its header."""
    html_text = table(columns, rows)
    if total is not None and rows:
        cells = "".join(f'<td class="{esc(c.css_class)}">{esc(v)}</td>'
                        for c, v in zip(columns, total, strict=True))
        html_text = html_text.replace("</tbody></table>", f'<tr class="total">{cells}</tr></tbody></table>')
    head = heading(caption, 3) if caption else ""
    css_class = "keep" if len(rows) <= KEEP_TOGETHER_ROWS else "flow"
    return f'<div class="{css_class}">{head}{html_text}</div>'


_SVG_NS = "{http://www.w3.org/2000/svg}"
# What matplotlib's SVG backend writes; anything else (script, foreignObject, a, image) is refused.
_SVG_ELEMENTS = {"svg", "defs", "style", "g", "path", "text", "use", "clipPath", "rect", "metadata",
                 "title", "tspan", "circle", "line", "polyline", "polygon", "ellipse"}
_METADATA_NS = ("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}", "{http://purl.org/dc/elements/1.1/}",
                "{http://creativecommons.org/ns#}")


def _chart(svg: str) -> str:
    return f'<div class="chart">{_checked_svg(svg)}</div>'


def _checked_svg(svg: str) -> str:
    root = ElementTree.fromstring(svg)
    for element in root.iter():
        tag = element.tag
        if tag.startswith(_METADATA_NS):
            continue
        if not tag.startswith(_SVG_NS) or tag[len(_SVG_NS):] not in _SVG_ELEMENTS:
            raise ValueError(f"unexpected element in chart: {tag}")
        if any(name.lower().startswith("on") for name in element.attrib):
            raise ValueError("event attribute in chart")
    return svg


def _generated_at(report: dict) -> str:
    """When the figures were computed: a datetime, or the text services/reports writes
    ("2026-12-01 08:30", Beijing time); now when the report does not say."""
    at = report.get("generated_at")
    if isinstance(at, str):
        try:
            at = datetime.strptime(at.strip(), "%Y-%m-%d %H:%M")
        except ValueError:
            return at  # printed as given
    if not isinstance(at, datetime):
        at = datetime.now(CHINA)
    elif at.tzinfo is not None:
        at = at.astimezone(CHINA)
    return f"{chinese_date(at.date())} {at:%H:%M}"


def _as_date(value) -> date | None:
    """A month as the report dicts carry it: a date or its ISO text ("2026-11-01")."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _period_span(report: dict) -> str:
    period = _as_date(report.get("period"))
    if not isinstance(period, date):
        return str(report.get("period_text", ""))
    first = period.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    last = date.fromordinal(following.toordinal() - 1)
    return f"{chinese_date(first)}至{chinese_date(last)}"


def _month_text(day) -> str:
    return f"{day.year}年{day.month}月" if isinstance(day, date) else ""


def _num(value) -> float:
    return 0.0 if value is None else float(value)


def _int(value) -> str:
    if value is None:
        return BLANK
    number = float(value)
    return f"{int(number)}" if number == int(number) else f"{number:.1f}"


def _decimal(value, places: int) -> str:
    return BLANK if value is None else f"{float(value):.{places}f}"


def _money(value) -> str:
    if value is None:
        return BLANK
    return f"{Decimal(str(value)).quantize(Decimal('0.01')):,}"


def _figure(key, value) -> str:
    """A main figure: money with cents, counts as whole numbers."""
    return _money(value) if key and "amount" in str(key) else _int(value)


def _pct(value) -> str:
    """A change already in percent (12.5 -> "+12.5%"); None -> "—"."""
    return BLANK if value is None else f"{float(value):+.1f}%"


def _share(value) -> str:
    """A fraction as a percentage (0.75 -> "75.0%"); None -> "—"."""
    return BLANK if value is None else f"{float(value) * 100:.1f}%"
