"""The shared A4 page of every printed document, and the one place that writes HTML.

Documents are built from small functions that return HTML strings. Every text value
passes through `esc` here (paragraphs, cells, headings), so a name or reason typed as
`<script>` or `<b>` prints literally and the document modules never call html.escape
themselves. Plain f-strings rather than a template engine: jinja2 is not a dependency,
and a notice is a heading, a few paragraphs and one table.

The page: A4 portrait, margins wide enough for a notice board's pins, a running heading
in the top margin (an element moved there with CSS `position: running()`, so the text is
HTML-escaped like the rest rather than pasted into a CSS string), "第 1 页，共 3 页" at
the bottom via CSS counters, and table headers repeated on every page (`thead` is a
table-header-group; WeasyPrint repeats it). Fonts are Debian's fonts-noto-cjk: Noto
Serif CJK SC for text, as official notices are set in a Song face, and Noto Sans CJK SC
for headings; a missing font would show tofu boxes, which the tests' images are for.
"""

import html
from dataclasses import dataclass
from datetime import date

import weasyprint
from weasyprint.urls import URLFetcher

SERIF = '"Noto Serif CJK SC", "Noto Serif CJK", "Noto Sans CJK SC", serif'
SANS = '"Noto Sans CJK SC", "Noto Sans CJK", sans-serif'

STYLESHEET = f"""
@page {{
  size: A4;
  margin: 24mm 18mm 20mm 18mm;
  @top-center {{ content: element(running-head); vertical-align: bottom; padding-bottom: 3mm; }}
  @bottom-center {{ content: "第 " counter(page) " 页，共 " counter(pages) " 页";
                   font-family: {SANS}; font-size: 9pt; color: #333; }}
}}
html {{ font-family: {SERIF}; font-size: 12pt; line-height: 1.65; color: #000; }}
.running-head {{ position: running(running-head); font-family: {SANS}; font-size: 9pt; color: #333;
                 border-bottom: 0.5pt solid #555; width: 174mm; text-align: center; }}
h1 {{ font-family: {SANS}; font-size: 18pt; font-weight: bold; text-align: center;
      line-height: 1.4; margin: 0 0 2mm; }}
h1 .place {{ display: block; font-size: 14pt; }}
.doc-no {{ text-align: right; text-indent: 0; font-size: 10.5pt; margin: 0 0 4mm; }}
p {{ margin: 0 0 1.5mm; text-indent: 2em; text-align: justify; }}
p.flush {{ text-indent: 0; }}
p.item {{ text-indent: 0; padding-left: 2em; }}
p.note {{ font-size: 10.5pt; }}
table {{ width: 100%; border-collapse: collapse; margin: 3mm 0 4mm; font-size: 10.5pt;
         line-height: 1.4; }}
thead {{ display: table-header-group; }}
tr {{ break-inside: avoid; }}
th, td {{ border: 0.6pt solid #000; padding: 1.5mm 1mm; vertical-align: middle;
          overflow-wrap: anywhere; }}
th {{ font-family: {SANS}; font-weight: bold; background: #e8e8e8; text-align: center;
      white-space: nowrap; }}
td.center {{ text-align: center; }}
td.nowrap {{ white-space: nowrap; overflow-wrap: normal; text-align: center; }}
td.empty {{ text-align: center; color: #444; padding: 4mm; }}
.signature {{ margin-top: 10mm; text-align: right; break-inside: avoid; }}
.signature .block {{ display: inline-block; margin-right: 8mm; }}
.signature p {{ text-indent: 0; text-align: center; }}
h2 {{ font-family: {SANS}; font-size: 13pt; font-weight: bold; margin: 5mm 0 1mm;
      break-after: avoid; }}
h3 {{ font-family: {SANS}; font-size: 12pt; font-weight: bold; margin: 4mm 0 0; break-after: avoid; }}
table.fields {{ margin-top: 1.5mm; break-inside: avoid; }}
table.fields th, table.fields td {{ padding: 1mm 1.5mm; vertical-align: top; }}
table.fields th {{ text-align: left; white-space: normal; }}
table.fields td {{ white-space: pre-line; }}
.together {{ break-inside: avoid; }}
table.sign-off {{ margin-top: 2mm; font-size: 12pt; }}
table.sign-off td {{ border: none; padding: 5mm 1mm 1mm; vertical-align: bottom; }}
table.sign-off td.line {{ border-bottom: 0.6pt solid #000; }}
table.sign-off td.label {{ white-space: nowrap; }}
table.sign-off td.date {{ text-align: right; white-space: nowrap; }}
"""


@dataclass(frozen=True)
class Column:
    """A table column: header label, width (CSS, e.g. "12%"), and the cell class
    ("" wraps, "center" centres, "nowrap" keeps an ID number on one line)."""

    label: str
    width: str
    css_class: str = ""


def esc(value: object) -> str:
    """Text -> HTML text. None prints as nothing; quotes are escaped too (attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def chinese_date(day: date | None) -> str:
    """2026年12月1日 (no leading zeros, as printed on notices); None -> ""."""
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


def paragraph(text: str, css_class: str = "") -> str:
    cls = f' class="{esc(css_class)}"' if css_class else ""
    return f"<p{cls}>{esc(text)}</p>"


def lines_of(text: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Free text typed on several lines (or a list of lines) -> its non-blank lines."""
    if text is None:
        return []
    items = [text] if isinstance(text, str) else list(text)
    return [line.strip() for item in items for line in str(item).splitlines() if line.strip()]


def title(main: str, place: str = "") -> str:
    """The document title, with the place (county, township, village) above it."""
    above = f'<span class="place">{esc(place)}</span>' if place else ""
    return f"<h1>{above}{esc(main)}</h1>"


def table(columns: list[Column], rows: list[list[object]], empty_text: str = "（无）") -> str:
    """A bordered table whose header repeats on every page; every cell is escaped text."""
    colgroup = "".join(f'<col style="width: {esc(c.width)}">' for c in columns)
    head = "".join(f"<th>{esc(c.label)}</th>" for c in columns)
    if rows:
        body = "".join(
            "<tr>" + "".join(_cell(c, value) for c, value in zip(columns, row, strict=True)) + "</tr>"
            for row in rows)
    else:
        body = f'<tr><td class="empty" colspan="{len(columns)}">{esc(empty_text)}</td></tr>'
    return f"<table><colgroup>{colgroup}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(column: Column, value: object) -> str:
    cls = f' class="{esc(column.css_class)}"' if column.css_class else ""
    return f"<td{cls}>{esc(value)}</td>"


def signature(issuer: str, day: date | None) -> str:
    """Issuing office and date, right-aligned, where the seal goes on the printed copy."""
    return (f'<div class="signature"><div class="block">{paragraph(issuer)}'
            f'{paragraph(chinese_date(day))}</div></div>')


def heading(text: str, level: int = 2) -> str:
    """A section heading (h2) or a sub-heading (h3) that stays with what follows it."""
    tag = "h3" if level == 3 else "h2"
    return f"<{tag}>{esc(text)}</{tag}>"


def fields(pairs: list[tuple[str, object]], label_width: str = "18%") -> str:
    """A bordered label | value table without a header row (a record's particulars:
    date, place, who). Values keep the line breaks they were typed with."""
    colgroup = f'<colgroup><col style="width: {esc(label_width)}"><col></colgroup>'
    body = "".join(f"<tr><th>{esc(label)}</th><td>{esc(value)}</td></tr>" for label, value in pairs)
    return f'<table class="fields">{colgroup}<tbody>{body}</tbody></table>'


def sign_off(labels: list[str]) -> str:
    """Lines to sign on paper: one row per signer ("主持人：王芳", a unit's name) with a
    line for the signature and one for the date, kept together on one page."""
    rows = "".join(
        f'<tr><td class="label">{esc(label)}</td><td class="label">签字：</td><td class="line"></td>'
        f'<td class="label">日期：</td><td class="line date">年　　月　　日</td></tr>' for label in labels)
    colgroup = ('<colgroup><col style="width: 34%"><col style="width: 9%"><col style="width: 27%">'
                '<col style="width: 9%"><col style="width: 21%"></colgroup>')
    return f'<table class="sign-off" style="break-inside: avoid">{colgroup}<tbody>{rows}</tbody></table>'


def together(*fragments: str) -> str:
    """Fragments kept on one page (a heading, a sentence and the lines to sign under it)."""
    return f'<div class="together">{"".join(fragments)}</div>'


def document(*, doc_title: str, running_head: str, body: list[str]) -> str:
    """A whole HTML document: `body` is a list of HTML fragments built by the helpers above."""
    return ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(doc_title)}</title></head><body>"
            f'<div class="running-head">{esc(running_head)}</div>'
            + "".join(body) + "</body></html>")


def render_pdf(html_text: str) -> bytes:
    """HTML -> PDF bytes with the shared stylesheet.

    Documents load nothing from outside (fonts come from fontconfig, not URLs), so the
    fetcher allows no protocol at all: even if markup ever slipped past `esc`, an
    `<img src="file:///...">` could not read a server file into a posted notice."""
    no_fetching = URLFetcher(allowed_protocols=set())
    return weasyprint.HTML(string=html_text, url_fetcher=no_fetching).write_pdf(
        stylesheets=[weasyprint.CSS(string=STYLESHEET, url_fetcher=no_fetching)])
