"""Spreadsheets in and out: build an .xlsx from rows, read rows from an .xlsx or .csv upload.

Shared by every import and export so files are refused (and written) the same way
everywhere. Reading returns plain text cells; what a cell means is the caller's business.
Anything a user can get wrong with the file itself becomes a ValidationError with a
Chinese message; cells that Excel has already damaged (long numbers kept as floats) raise
SpreadsheetCellError, which also lists each damaged cell so an import can report them
row by row.
"""

import csv
import io
import itertools
import zipfile
from collections.abc import Collection, Iterable
from datetime import date, datetime, time
from decimal import Decimal

from ..domain.errors import ValidationError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
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

def read_rows(filename: str, data: bytes, *,
              max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[list[str], list[list[str]]]:
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
        table = _xlsx_rows(name, data)
    else:
        table = _csv_rows(name, data)
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
            reader = _XlsxReader(name, package, max_rows)
            table = reader.first_sheet()
    except (ValidationError, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - zip, XML and lookup errors all mean a broken package
        raise not_xlsx from None
    if reader.damaged:
        _refuse_damaged(reader.damaged, table[0] if table else [])
    return table


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


def _csv_rows(name: str, data: bytes) -> list[list[str]]:
    text = _decode(name, data)
    first_line = text.split("\n", 1)[0]
    # Excel's “Unicode text” export is tab-separated; everything else here uses commas.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return [[cell.strip() for cell in row]
                for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error:
        raise ValidationError(f"文件“{name}”不是有效的 CSV 文件（引号不配对或格式错误）") from None


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
