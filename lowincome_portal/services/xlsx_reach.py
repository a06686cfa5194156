"""How far the cells of an uploaded .xlsx reach, checked before calamine reads it.

Why this exists: calamine builds a sheet as one dense rectangle spanning its cells, and a
failed allocation aborts the whole process. One value in XFD1048576 (a 1 KB file) asks for
half a terabyte and takes the portal down with it, so the rows and columns a sheet reaches
are bounded here first, from the sheet XML, without reading any values.

Files as Excel, WPS, LibreOffice, openpyxl and XlsxWriter write them (every <row> and <c>
starting with r="...") are cleared by three regular-expression searches over the XML
(0.25 s for 50,000 rows x 19 columns, mostly unzipping; calamine itself takes 1 s).
Anything else (namespace prefixes, cells without r, r after other attributes) is walked
tag by tag the way calamine places cells: about 4 s for the same sheet.
"""

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from functools import lru_cache

from xlsxwriter.utility import xl_cell_to_rowcol

MAX_COLUMNS = 256  # "IV": the plain patterns below spell out this limit
_BLOCK_BYTES = 8 * 1024 * 1024

_PREFIXED = re.compile(rb":(?:c|row)[\s/>]")
_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*)>")
_REF = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]*)([0-9]+)["']""")
# A plain cell tag that holds something (not <c .../>): where it lies is all that matters.
_PLAIN_CELL = re.compile(rb'<c r="[A-Za-z]{1,3}([1-9][0-9]*)"(?: [a-z]+="[^"]*")*>')


def beyond_limits(package: zipfile.ZipFile, max_row: int) -> str | None:
    """"rows" when a cell lies below row `max_row` (1-based), "columns" when one lies right
    of column MAX_COLUMNS, else None; for every part calamine may read as the first sheet."""
    for path in _first_sheet_parts(package):
        found = _plain_scan(package, path, max_row)
        if found == "walk":
            found = _walk(package, path, max_row)
        if found:
            return found
    return None


def _first_sheet_parts(package: zipfile.ZipFile) -> list[str]:
    """The part calamine reads as the first sheet, found the way it finds it; when that
    is unclear, every part the workbook points to (checking more is only slower)."""
    names = {n.lower(): n for n in package.namelist()}
    rels_path = names.get("xl/_rels/workbook.xml.rels")
    if rels_path is None:
        return []  # calamine finds no sheet either
    targets = {rel.get("Id"): _part(rel.get("Target", ""), names)
               for rel in ET.fromstring(package.read(rels_path))}
    targets = {rel_id: path for rel_id, path in targets.items() if path}
    workbook_path = names.get("xl/workbook.xml")
    if workbook_path is not None:
        sheet = next((e for e in ET.fromstring(package.read(workbook_path)).iter()
                      if e.tag.rpartition("}")[2] == "sheet"), None)
        rel_id = next((v for k, v in (sheet.attrib.items() if sheet is not None else ())
                       if k.startswith("{") and k.endswith("}id")), None)
        if rel_id in targets:
            return [targets[rel_id]]
    return sorted(set(targets.values()))


def _part(target: str, names: dict[str, str]) -> str | None:
    # calamine's rule: "/xl/a.xml", "xl/a.xml" and "a.xml" all mean xl/a.xml, any case
    path = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else f"xl/{target}"
    return names.get(path.lower())


def _blocks(package: zipfile.ZipFile, path: str) -> Iterator[bytes]:
    """The part in blocks that end after a '>', so no tag is cut in two."""
    with package.open(path) as part:
        rest = part.read(_BLOCK_BYTES)
        if b"\x00" in rest[:4096]:
            # UTF-16 XML: the byte patterns here would see no tags at all. Excel and every
            # other writer use UTF-8, so such a part is refused rather than trusted.
            raise ValueError(f"{path} is not UTF-8")
        while chunk := part.read(_BLOCK_BYTES):
            data = rest + chunk
            cut = data.rfind(b">") + 1
            yield data[:cut]
            rest = data[cut:]
        if rest:
            yield rest


@lru_cache(maxsize=8)
def _plain_patterns(max_row: int) -> tuple[re.Pattern, re.Pattern]:
    """Patterns for any <c>/<row> tag that is NOT plain r="..." with a column up to IV
    and a row up to `max_row`."""
    column = rb"(?:[A-Za-z]|[A-Ha-h][A-Za-z]|[Ii][A-Va-v])"
    row = _at_most(max_row)
    return (re.compile(rb'<c(?! r="' + column + row + rb'")[\s/>]'),
            re.compile(rb'<row(?! r="' + row + rb'")[\s/>]'))


def _at_most(limit: int) -> bytes:
    """A pattern for the numbers 1..limit (no leading zeros): those with fewer digits,
    and those as long as `limit` that are smaller at some digit and equal before it."""
    digits = str(limit)
    options = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, d in enumerate(digits):
        lowest = 1 if i == 0 else 0
        if int(d) > lowest:
            options.append(f"{digits[:i]}[{lowest}-{int(d) - 1}][0-9]{{{len(digits) - i - 1}}}")
    options.append(digits)
    return ("(?:" + "|".join(options) + ")").encode()


def _plain_scan(package: zipfile.ZipFile, path: str, max_row: int) -> str | None:
    """None when every tag is plain and within the limits; "rows" or "columns" for a plain
    cell with a value beyond them; "walk" when only a walk can tell."""
    odd_cell, odd_row = _plain_patterns(max_row)
    for block in _blocks(package, path):
        if _PREFIXED.search(block):
            return "walk"
        odd = odd_cell.search(block)
        plain = odd and _PLAIN_CELL.match(block, odd.start())
        if plain:  # refused at once, not after walking up to it
            return "rows" if int(plain.group(1)) > max_row else "columns"
        if odd or odd_row.search(block):
            return "walk"
    return None


def _walk(package: zipfile.ZipFile, path: str, max_row: int) -> str | None:
    """Place every cell as calamine does: a row's r sets the current row, a cell's r its
    own place; without r a cell takes the next column and a row the next row."""
    row = column = 0  # 0-based, as calamine counts
    for block in _blocks(package, path):
        for closing, tag, attrs in _TAG.findall(block):
            ref = None if closing else _REF.search(attrs)
            if tag == b"row":
                if ref:
                    row = int(ref.group(2)) - 1
                if closing or attrs.endswith(b"/"):
                    row, column = row + 1, 0
                continue
            if closing:
                continue
            at_row, at_column = row, column
            if ref and ref.group(1):
                if len(ref.group(1)) > 3:
                    return "columns"
                at_row, at_column = xl_cell_to_rowcol(ref.group(1).upper().decode() + ref.group(2).decode())
                column = at_column
            column += 1
            if attrs.endswith(b"/"):
                continue  # <c .../> holds no value, and calamine keeps only cells with one
            if at_row >= max_row:
                return "rows"
            if at_column >= MAX_COLUMNS:
                return "columns"
    return None
