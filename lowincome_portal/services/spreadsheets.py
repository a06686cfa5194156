"""Spreadsheets in and out: build an .xlsx from rows, read rows from an .xlsx or .csv upload.

Shared by every import and export so files are refused (and written) the same way
everywhere. Reading returns plain text cells; what a cell means is the caller's business.
Anything a user can get wrong with the file itself becomes a ValidationError with a
Chinese message; cells that Excel has already damaged (long numbers kept as floats) raise
SpreadsheetCellError, which also lists each damaged cell so an import can report them
row by row.
"""

import csv
import html
import io
import itertools
import posixpath
import re
import zipfile
from collections.abc import Collection, Iterable
from datetime import date, datetime, time
from decimal import Decimal

from ..domain.errors import ValidationError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# A 20 MB .xlsx can unpack to millions of rows; past this the file is refused, not read.
DEFAULT_MAX_ROWS = 200_000
SPREADSHEET_EXTENSIONS = (".xlsx", ".csv")
# Excel keeps 15 significant digits: a number of 16 digits or more (ID numbers, bank
# accounts typed into a cell formatted as a number) has already lost its last digits.
EXCEL_EXACT_LIMIT = 10**15
_CELLS_NAMED = 5  # damaged cells named in the message itself; SpreadsheetCellError.cells has all

_WIDTH_SAMPLE_ROWS = 50
_MIN_WIDTH, _MAX_WIDTH = 8, 40


class SpreadsheetCellError(ValidationError):
    """Cells whose content cannot be trusted; `cells` lists (row, column header, reason)."""

    def __init__(self, message: str, cells: list[tuple[int, str, str]]):
        super().__init__(message)
        self.cells = cells


# --- writing -------------------------------------------------------------------------

def workbook_bytes(sheets: list[tuple[str, list[str], Iterable[list]]], *,
                   text_headers: Collection[str] = ()) -> bytes:
    """An .xlsx with one sheet per (title, headers, rows); the header row is bold.

    Written in openpyxl's write-only mode, so 50,000 rows take seconds and little memory.
    Columns whose header is in `text_headers` are formatted as text, so numbers a user
    types there later (ID numbers, bank accounts) stay exact instead of becoming floats.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=_sheet_title(title))
        rows = iter(rows)
        sample = list(itertools.islice(rows, _WIDTH_SAMPLE_ROWS))
        # Column settings must be in place before the first row is written (write-only mode).
        for index, header in enumerate(headers):
            width = max([_display_width(header)] + [_display_width(r[index]) for r in sample
                                                    if index < len(r)])
            dimension = sheet.column_dimensions[get_column_letter(index + 1)]
            dimension.width = min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
            if header in text_headers:
                dimension.number_format = "@"
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=header)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        text_at = {i for i, h in enumerate(headers) if h in text_headers}
        for row in itertools.chain(sample, rows):
            sheet.append([_out_cell(sheet, value, i in text_at) for i, value in enumerate(row)])
    if not sheets:
        workbook.create_sheet(title="Sheet1")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    # Excel forbids these characters in sheet names and allows 31 of the rest.
    for ch in "[]:*?/\\":
        title = title.replace(ch, "_")
    return title[:31] or "Sheet1"


def _out_cell(sheet, value, as_text: bool):
    if value == "":
        return None  # an empty cell, not an empty string
    if isinstance(value, Decimal):
        value = float(value)
    elif value is not None and not isinstance(value, (str, int, float, bool, date, datetime, time)):
        value = str(value)
    if isinstance(value, str) and (value.startswith("=") or as_text):
        # openpyxl would write "=..." as a formula: a user's address must never run as one.
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        if as_text:
            cell.number_format = "@"
        return cell
    return value


def _display_width(value) -> int:
    """Roughly how many Latin-character widths a value takes (CJK counts double)."""
    if value is None:
        return 0
    text = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


# --- reading -------------------------------------------------------------------------

def read_rows(filename: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES,
              max_rows: int = DEFAULT_MAX_ROWS) -> tuple[list[str], list[list[str]]]:
    """The header row and the data rows of an uploaded .xlsx (first sheet) or .csv.

    Every cell comes back as stripped text: dates as YYYY-MM-DD, whole numbers without
    “.0”. Row i of the result is line i + 2 of the file as the user sees it (blank rows
    inside the data are kept, as empty lists of "", so numbers stay right; blank rows at
    the end are dropped). Every row is as long as the header.

    Raises ValidationError for a file that is too big, empty, not a spreadsheet or holds
    no data rows, and SpreadsheetCellError when Excel has turned long numbers into floats.
    """
    name = (filename or "").strip()
    lower = name.lower()
    if len(data) > max_bytes:
        raise ValidationError(f"文件“{name}”有 {_size_text(len(data))}，超过上限 {_size_text(max_bytes)}，"
                              "请分成几个文件导入")
    if lower.endswith(".xls"):
        raise ValidationError(f"文件“{name}”是旧版 Excel（.xls）格式，请在 Excel 中“另存为” .xlsx 或 .csv 后再导入")
    if not lower.endswith(SPREADSHEET_EXTENSIONS):
        raise ValidationError(f"文件“{name}”不是表格文件，请上传 .xlsx 或 .csv 文件")
    if not data:
        raise ValidationError(f"文件“{name}”是空文件")
    if lower.endswith(".xlsx"):
        table = _xlsx_rows(name, data, max_rows)
    else:
        table = _csv_rows(name, data, max_rows)
    return _shape(name, table)


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    return f"{max(size // 1024, 1)} KB"


def _shape(name: str, table: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    while table and not any(table[-1]):
        table.pop()
    if not table:
        raise ValidationError(f"文件“{name}”中没有内容")
    header = table[0]
    width = max(len(r) for r in table)
    # Trailing columns blank in every row (Excel's formatting left-overs) are not columns.
    while width and not any(len(r) >= width and r[width - 1] for r in table):
        width -= 1
    header = (header + [""] * width)[:width]
    rows = [(r + [""] * (width - len(r)))[:width] if len(r) != width else r for r in table[1:]]
    if not any(any(r) for r in rows):
        raise ValidationError(f"文件“{name}”中没有数据行（只有表头）")
    return header, rows


def _xlsx_rows(name: str, data: bytes, max_rows: int) -> list[list[str]]:
    not_xlsx = ValidationError(f"文件“{name}”不是有效的 Excel（.xlsx）文件，可能已损坏或只是改了扩展名，"
                               "请在 Excel 中重新保存后再导入")
    if not data.startswith(b"PK") or not zipfile.is_zipfile(io.BytesIO(data)):
        raise not_xlsx
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            if sum(info.file_size for info in package.infolist()) > _MAX_UNPACKED_BYTES:
                raise ValidationError(f"文件“{name}”解压后过大，请分成几个文件导入")
            reader = _XlsxReader(name, package, max_rows)
            table = reader.first_sheet()
    except (ValidationError, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - zip, XML and lookup errors all mean a broken package
        raise not_xlsx from None
    if reader.damaged:
        _refuse_damaged(reader.damaged, table[0] if table else [])
    return table


# Built-in number formats that show dates or times (Excel's list, plus the CJK ones 27-36, 50-58
# that Chinese Excel uses for 年月日).
_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_MAX_COLUMNS = 256
# A real 20 MB workbook unpacks to a few hundred MB at most; more is a zip bomb.
_MAX_UNPACKED_BYTES = 1024 * 1024 * 1024


# The plain shape of a sheet as Excel and openpyxl write it: <row ...> and
# <c r="B2" s="3" t="s"><v>7</v></c> (a formula's <f> may come first, its cached value is
# read) or <c r="B2" t="inlineStr"><is><t>text</t></is></c>.
_PLAIN_ROOT = re.compile(rb"<worksheet[\s>]")
_PLAIN_TOKEN = re.compile(
    r'<row\b([^>]*)>'
    r'|<c r="([A-Z]+)\d+"(?: s="(\d+)")?(?: t="(\w+)")?'
    r'(?:/>|>(?:(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?(?:<v>([^<]*)</v>|<v\s*/>)|<is><t(?: [^>]*)?>([^<]*)</t></is>)?</c>)')
_ROW_NUMBER = re.compile(r'\br="(\d+)"')
_BLOCK_BYTES = 4 * 1024 * 1024
_FAST_PATH = True  # tests switch it off to run the general reader on the same files


def _local(name: str) -> str:
    """“x:c” and “{uri}c” -> “c”: generators differ in namespace prefixes."""
    return name.rpartition("}")[2].rpartition(":")[2]


class _XlsxReader:
    """A streaming reader for the first sheet of an .xlsx: cell values only, as text.

    Why not openpyxl's read-only mode: it spends ~15 µs per cell on styles and objects we
    do not need; a 50,000-row registry (a million cells) took longer to read than to check
    and insert. This reader walks the sheet XML once with expat (about 4x faster) and uses
    openpyxl only for its date rules. Writing still goes through openpyxl.
    """

    def __init__(self, name: str, package: zipfile.ZipFile, max_rows: int):
        self.name, self.package, self.max_rows = name, package, max_rows
        self.damaged: list[tuple[int, int, str]] = []

    # -- the package: which part is the first sheet, its strings and date styles --
    def _xml(self, path: str):
        import xml.etree.ElementTree as ET

        with self.package.open(path) as part:
            return ET.parse(part).getroot()

    def _relationships(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, target path) of a part's relationships."""
        folder, _, base = part.rpartition("/")
        rels_path = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
        if rels_path not in self.package.namelist():
            return []
        out = []
        for rel in self._xml(rels_path):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
            out.append((rel.get("Id", ""), rel.get("Type", ""), path))
        return out

    def first_sheet(self) -> list[list[str]]:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

        workbook_path = next((p for _, t, p in self._relationships("")
                              if t.endswith("/officeDocument")), "xl/workbook.xml")
        workbook = self._xml(workbook_path)
        sheet_id, date1904 = None, False
        for element in workbook.iter():
            tag = _local(element.tag)
            if tag == "workbookPr":
                date1904 = element.get("date1904", "").lower() in ("1", "true")
            elif tag == "sheet" and sheet_id is None:
                sheet_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        if sheet_id is None:
            raise ValidationError(f"文件“{self.name}”中没有工作表")
        rels = self._relationships(workbook_path)
        sheet_path = next(p for i, _, p in rels if i == sheet_id)
        strings_path = next((p for _, t, p in rels if t.endswith("/sharedStrings")), None)
        styles_path = next((p for _, t, p in rels if t.endswith("/styles")), None)
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        self.strings = self._shared_strings(strings_path) if strings_path else []
        self.date_styles = self._date_styles(styles_path) if styles_path else frozenset()
        if _FAST_PATH:
            with self.package.open(sheet_path) as part:
                table = self._plain_sheet(part)
            if table is not None:
                return table
            self.damaged.clear()
        with self.package.open(sheet_path) as part:
            return self._sheet(part)

    def _plain_sheet(self, part) -> list[list[str]] | None:
        """The sheet read with one regular expression per block of rows, or None when the
        file is not written the plain way Excel and openpyxl write it (then `_sheet` reads it).

        Every `<row` and `<c ` in a block must have been matched, so nothing is skipped
        silently. About three times faster than `_sheet` on a 50,000-row file.
        """
        table: list[list[str]] = []
        row: list[str] | None = None
        row_number = 0
        max_rows, strings, date_styles, value_of = self.max_rows, self.strings, self.date_styles, self._value
        columns: dict[str, int] = {}
        pending, first = b"", True
        while True:
            block = part.read(_BLOCK_BYTES)
            data = pending + block
            if block:
                cut = data.rfind(b"</row>")
                if cut < 0:
                    pending = data
                    continue
                data, pending = data[:cut + 6], data[cut + 6:]
            if first:
                first = False
                if not _PLAIN_ROOT.search(data):
                    return None  # namespace prefixes (x:c ...): the general reader copes
            text = data.decode("utf-8")
            tokens = _PLAIN_TOKEN.findall(text)
            cells = sum(1 for t in tokens if t[1])
            if (len(tokens) - cells != text.count("<row ") + text.count("<row>")
                    or cells != text.count("<c ") + text.count("<c>")):
                return None
            for row_attrs, letters, style, kind, number, inline in tokens:
                if not letters:  # a <row ...>
                    if row is not None:
                        table.append(row)
                        row_number += 1
                    found = _ROW_NUMBER.search(row_attrs)
                    at = int(found.group(1)) if found else row_number + 1
                    if at > max_rows + 1:
                        raise ValidationError(f"文件“{self.name}”超过 {max_rows} 行，请分成几个文件导入")
                    while row_number < at - 1:
                        table.append([])
                        row_number += 1
                    row = []
                    if row_attrs.endswith("/"):  # <row r="5"/>: an empty row
                        table.append(row)
                        row_number += 1
                        row = None
                    continue
                column = columns.get(letters)
                if column is None:
                    column = columns[letters] = _column_index(letters)
                if kind == "inlineStr":
                    value = _unescape(html.unescape(inline) if "&" in inline else inline).strip()
                elif kind == "s":
                    value = strings[int(number)].strip() if number else ""
                elif not number:
                    value = ""
                elif (kind == "" or kind == "n") and number.isdigit() and len(number) < 16 and (
                        not style or int(style) not in date_styles):
                    value = number
                else:
                    raw = html.unescape(number) if "&" in number else number
                    value = value_of(kind or "n", int(style) if style else -1, raw, row_number + 1, column)
                if value and row is not None:
                    if column >= _MAX_COLUMNS:
                        raise ValidationError(f"文件“{self.name}”的列数超过 {_MAX_COLUMNS} 列，请只保留需要导入的列")
                    if column == len(row):
                        row.append(value)
                    else:
                        if column > len(row):
                            row.extend([""] * (column - len(row) + 1))
                        row[column] = value
            if not block:
                break
        if row is not None:
            table.append(row)
        return table

    def _shared_strings(self, path: str) -> list[str]:
        strings: list[str] = []
        parts: list[str] = []
        depth = {"rPh": 0, "t": 0}

        def start(name, _attrs):
            tag = _local(name)
            if tag == "si":
                parts.clear()
            elif tag in depth:
                depth[tag] += 1

        def end(name):
            tag = _local(name)
            if tag == "si":
                strings.append(_unescape("".join(parts)))
            elif tag in depth:
                depth[tag] -= 1

        def text(data):
            # phonetic guides (rPh) are not part of the value
            if depth["t"] and not depth["rPh"]:
                parts.append(data)

        with self.package.open(path) as part:
            _expat(start, end, text).ParseFile(part)
        return strings

    def _date_styles(self, path: str) -> frozenset[int]:
        from openpyxl.styles.numbers import is_date_format

        root = self._xml(path)
        custom: dict[int, str] = {}
        formats: list[int] = []
        for element in root.iter():
            tag = _local(element.tag)
            if tag == "numFmt":
                custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
            elif tag == "cellXfs":
                formats = [int(xf.get("numFmtId", "0")) for xf in element if _local(xf.tag) == "xf"]
        return frozenset(index for index, fmt in enumerate(formats)
                         if (is_date_format(custom[fmt]) if fmt in custom else fmt in _DATE_FORMAT_IDS))

    # -- the sheet itself --
    def _sheet(self, part) -> list[list[str]]:
        # The handlers run once per XML event (a million cells make five million events):
        # plain local variables and one dict lookup per event keep them cheap.
        table: list[list[str]] = []
        row: list[str] = []
        parts: list[str] = []
        kind, style, column, next_column, row_number = "n", -1, 0, 0, 0
        collecting, phonetic = False, 0
        max_rows, value_of = self.max_rows, self._value
        tags: dict[str, str] = {}
        columns: dict[str, int] = {}  # "AB" -> 27

        def start(name, attrs):
            nonlocal row, row_number, next_column, kind, style, column, collecting, phonetic
            tag = tags.get(name) or tags.setdefault(name, _local(name))
            if tag == "c":
                ref = attrs.get("r")
                if ref:
                    letters = ref.rstrip("0123456789")
                    column = columns.get(letters)
                    if column is None:
                        column = columns[letters] = _column_index(letters)
                else:
                    column = next_column
                kind = attrs.get("t", "n")
                style = int(attrs["s"]) if "s" in attrs else -1
                parts.clear()
            elif tag == "v" or tag == "t":
                collecting = not phonetic
            elif tag == "rPh":
                phonetic += 1
            elif tag == "row":
                number = int(attrs["r"]) if "r" in attrs else row_number + 1
                if number > max_rows + 1:
                    raise ValidationError(f"文件“{self.name}”超过 {max_rows} 行，请分成几个文件导入")
                while row_number < number - 1:  # rows Excel left out are blank rows
                    table.append([])
                    row_number += 1
                row = []
                next_column = 0

        def end(name):
            nonlocal row, row_number, next_column, collecting, phonetic
            tag = tags[name]
            if tag == "c":
                next_column = column + 1
                raw = "".join(parts) if len(parts) != 1 else parts[0]
                if kind == "inlineStr" or kind == "str":
                    value = _unescape(raw).strip()
                elif kind == "n" and style == -1 and raw.isdigit() and len(raw) < 16:
                    value = raw
                else:
                    value = value_of(kind, style, raw, row_number + 1, column)
                if value:
                    if column >= _MAX_COLUMNS:
                        raise ValidationError(f"文件“{self.name}”的列数超过 {_MAX_COLUMNS} 列，请只保留需要导入的列")
                    if column == len(row):
                        row.append(value)
                    else:
                        if column > len(row):
                            row.extend([""] * (column - len(row) + 1))
                        row[column] = value
            elif tag == "v" or tag == "t":
                collecting = False
            elif tag == "rPh":
                phonetic -= 1
            elif tag == "row":
                table.append(row)
                row_number += 1
                row = []

        def text(data):
            if collecting:
                parts.append(data)

        _expat(start, end, text).ParseFile(part)
        return table

    def _value(self, kind: str, style: int, raw: str, line: int, column: int) -> str:
        if kind == "s":
            return self.strings[int(raw)].strip() if raw else ""
        if kind in ("inlineStr", "str"):
            return _unescape(raw).strip()
        if not raw:
            return ""
        if kind == "b":
            return "TRUE" if raw.strip() in ("1", "true") else "FALSE"
        if kind == "e":
            return raw.strip()
        if kind == "d":
            return _cell_text(datetime.fromisoformat(raw.strip().rstrip("Z")))
        # a number
        if style in self.date_styles:
            from openpyxl.utils.datetime import from_excel

            return _cell_text(from_excel(float(raw), self.epoch))
        digits = raw[1:] if raw.startswith("-") else raw
        if digits.isdigit() and len(digits) < 16:
            return raw
        number = float(raw)
        if abs(number) >= EXCEL_EXACT_LIMIT:
            self.damaged.append((line, column, _number_text(number)))
            return ""
        return _cell_text(number)


def _expat(start, end, text):
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    return parser


def _column_index(ref: str) -> int:
    """“AB12” -> 27 (0-based)."""
    index = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            index = index * 26 + ord(ch) - 64
        else:
            break
    return index - 1


def _unescape(text: str) -> str:
    """OOXML writes control characters as _x000D_ and the like."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _refuse_damaged(damaged: list[tuple[int, int, str]], header: list[str]) -> None:
    from openpyxl.utils import get_column_letter

    def column_name(index: int) -> str:
        named = header[index].strip() if index < len(header) else ""
        return named or f"第 {get_column_letter(index + 1)} 列"

    reason = ("Excel 把这个号码存成了数字（{shown}），超过 15 位的数字末尾几位已丢失；"
              "请把该列设置为“文本”格式后重新输入号码")
    cells = [(line, column_name(index), reason.format(shown=shown)) for line, index, shown in damaged]
    named = "、".join(f"第 {line} 行“{column}”" for line, column, _ in cells[:_CELLS_NAMED])
    more = f"等 {len(cells)} 处" if len(cells) > _CELLS_NAMED else ""
    raise SpreadsheetCellError(
        f"{named}{more}的号码被 Excel 存成了数字，末尾几位已丢失（身份证号、银行账号等长号码常见）。"
        "请把这些列设置为“文本”格式，重新输入号码后再导入", cells)


def _number_text(value: int | float) -> str:
    if isinstance(value, float):
        return f"{value:.15g}".upper()  # as Excel shows it, e.g. 5.00231196803120E+17
    return str(value)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.15g}"  # drop binary noise: 0.30000000000000004 -> 0.3
    return str(value).strip()


def _csv_rows(name: str, data: bytes, max_rows: int) -> list[list[str]]:
    text = _decode(name, data)
    first_line = text.split("\n", 1)[0]
    # Excel's “Unicode text” export is tab-separated; everything else here uses commas.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    table = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(table) > max_rows:
                raise ValidationError(f"文件“{name}”超过 {max_rows} 行，请分成几个文件导入")
            table.append([cell.strip() for cell in row])
    except csv.Error:
        raise ValidationError(f"文件“{name}”不是有效的 CSV 文件（引号不配对或格式错误）") from None
    return table


def _decode(name: str, data: bytes) -> str:
    not_text = ValidationError(f"文件“{name}”不是文本格式的 CSV 文件，可能是其他类型的文件改了扩展名")
    if data.startswith((b"PK\x03\x04", b"\x89PNG", b"%PDF", b"\xd0\xcf\x11\xe0")):
        raise not_text
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        # County machines often save CSV in the Chinese Windows encoding (GBK / GB18030).
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text or _control_share(text) > 0.01:
            raise not_text
        return text
    raise not_text


def _control_share(text: str) -> float:
    """The share of control characters other than tab and line breaks (binary looks like this)."""
    sample = text[:4096]
    if not sample:
        return 0.0
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return bad / len(sample)
