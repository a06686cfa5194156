"""Reading uploaded spreadsheets: the rows of an .xlsx (first sheet) or .csv as text.

Shared by every import so files are refused the same way everywhere. Reading returns
plain text cells; what a cell means is the caller's business. Anything a user can get
wrong with the file itself becomes a ValidationError with a Chinese message; cells that
Excel has already damaged (long numbers kept as floats) raise SpreadsheetCellError, which
also lists each damaged cell so an import can report them row by row.

.xlsx files are read by calamine (python-calamine, Rust), after xlsx_reach has checked
that the sheet is not so wide or long that calamine's allocation would kill the process.
Writing workbooks is workbook_writer's job.
"""

import csv
import io
import zipfile
from datetime import date, datetime, time

from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_col_to_name

from ..domain.errors import ValidationError
from . import xlsx_reach
from .workbook_writer import workbook_bytes  # noqa: F401 - benchmarks/registry_bench.py writes through here

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# A 20 MB .xlsx can unpack to millions of rows; past this the file is refused, not read.
DEFAULT_MAX_ROWS = 200_000
SPREADSHEET_EXTENSIONS = (".xlsx", ".csv")
# Excel keeps 15 significant digits: a number of 16 digits or more (ID numbers, bank
# accounts typed into a cell formatted as a number) has already lost its last digits.
EXCEL_EXACT_LIMIT = 10**15
_CELLS_NAMED = 5  # damaged cells named in the message itself; SpreadsheetCellError.cells has all


class SpreadsheetCellError(ValidationError):
    """Cells whose content cannot be trusted; `cells` lists (row, column header, reason)."""

    def __init__(self, message: str, cells: list[tuple[int, str, str]]):
        super().__init__(message)
        self.cells = cells


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
        raise ValidationError(f"文件“{name}”有 {size_text(len(data))}，超过上限 {size_text(max_bytes)}，"
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


def size_text(size: int) -> str:
    """A file size as the messages show it: "3 KB", "1.5 MB"."""
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
            # calamine would also open an .ods or .xlsb renamed .xlsx; only .xlsx is promised
            if not any(n.lower() == "xl/workbook.xml" for n in package.namelist()):
                raise not_xlsx
            if sum(info.file_size for info in package.infolist()) > _MAX_UNPACKED_BYTES:
                raise ValidationError(f"文件“{name}”解压后过大，请分成几个文件导入")
            beyond = xlsx_reach.beyond_limits(package, max_rows + 1)
        if beyond == "rows":
            raise ValidationError(f"文件“{name}”超过 {max_rows} 行，请分成几个文件导入")
        if beyond == "columns":
            raise ValidationError(f"文件“{name}”的列数超过 {xlsx_reach.MAX_COLUMNS} 列，请只保留需要导入的列")
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise ValidationError(f"文件“{name}”中没有工作表")
        # skip_empty_area=False keeps leading blank rows and columns, so row numbers hold
        cells = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (ValidationError, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - zip, XML and calamine errors all mean a broken package
        raise not_xlsx from None
    table, damaged = _text_table(cells)
    if damaged:
        _refuse_damaged(damaged, table[0] if table else [])
    return table


# A real 20 MB workbook unpacks to a few hundred MB at most; more is a zip bomb.
_MAX_UNPACKED_BYTES = 1024 * 1024 * 1024


def _text_table(cells: list[list]) -> tuple[list[list[str]], list[tuple[int, int, str]]]:
    """calamine's cells as text, and the (line, column, as shown) of numbers Excel damaged."""
    table: list[list[str]] = []
    damaged: list[tuple[int, int, str]] = []
    for line, row in enumerate(cells, start=1):
        # Most cells are text (empty ones are ""): strip those here, the rest by _cell_text.
        texts = [value.strip() if value.__class__ is str else _cell_text(value) for value in row]
        if None in texts:  # _cell_text's mark for a long number kept as a float
            for column, text in enumerate(texts):
                if text is None:
                    damaged.append((line, column, _number_text(row[column])))
                    texts[column] = ""
        table.append(texts)
    return table, damaged


def _refuse_damaged(damaged: list[tuple[int, int, str]], header: list[str]) -> None:
    def column_name(index: int) -> str:
        named = header[index].strip() if index < len(header) else ""
        return named or f"第 {xl_col_to_name(index)} 列"

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


def _cell_text(value) -> str | None:
    """A cell calamine read, as text; None for a number too long to be exact (see _text_table)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)) and abs(value) >= EXCEL_EXACT_LIMIT:
        return None
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.15g}"  # drop binary noise: 0.30000000000000004 -> 0.3
    return str(value).strip()  # a duration (timedelta)


def _csv_rows(name: str, data: bytes, max_rows: int) -> list[list[str]]:
    text = decode_text(name, data)
    table = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text)):
            if len(table) > max_rows:
                raise ValidationError(f"文件“{name}”超过 {max_rows} 行，请分成几个文件导入")
            table.append([cell.strip() for cell in row])
    except csv.Error:
        raise ValidationError(f"文件“{name}”不是有效的 CSV 文件（引号不配对或格式错误）") from None
    return table


def csv_delimiter(text: str) -> str:
    """The delimiter of a CSV text, judged by its first line."""
    end = text.find("\n")
    first_line = text if end < 0 else text[:end]  # not split(): that would copy the whole rest
    # Excel's “Unicode text” export is tab-separated; everything else here uses commas.
    return "\t" if "\t" in first_line and "," not in first_line else ","


def decode_text(name: str, data: bytes) -> str:
    """An uploaded CSV file's bytes as text: UTF-16 with a byte-order mark, else UTF-8 (with or
    without BOM), else GB18030. Raises ValidationError for a file that is not text (another file
    type renamed .csv, binary content). Shared by every CSV import so all read the same."""
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
