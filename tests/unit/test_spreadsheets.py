"""Reading and writing spreadsheets: text cells, refusals with Chinese messages."""

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from lowincome_portal.domain.errors import ValidationError
from lowincome_portal.services.spreadsheets import SpreadsheetCellError, read_rows, workbook_bytes


def xlsx_of(rows) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_cells_come_back_as_text():
    data = xlsx_of([["日期", "整数", "小数", "文本", "空"],
                    [datetime(2025, 3, 1), 12.0, 0.1 + 0.2, " 凤凰村 ", None],
                    [date(2024, 12, 31), 7, 1234.5, "500231199803120116", None]])
    header, rows = read_rows("a.xlsx", data)
    assert header == ["日期", "整数", "小数", "文本", "空"]
    assert rows == [["2025-03-01", "12", "0.3", "凤凰村", ""], ["2024-12-31", "7", "1234.5", "500231199803120116", ""]]


def test_blank_rows_keep_numbering_and_trailing_blanks_go():
    data = xlsx_of([["a", "b"], ["1", "2"], [None, None], ["3", "4"], [None, None], [None, None]])
    header, rows = read_rows("a.xlsx", data)
    assert rows == [["1", "2"], ["", ""], ["3", "4"]]


def test_long_numbers_excel_stored_as_floats_are_refused_by_cell():
    data = xlsx_of([["姓名", "身份证号"], ["张三", 5.00231199803120e17], ["李四", "500231199907210220"],
                    ["王五", 123456789012345]])
    with pytest.raises(SpreadsheetCellError) as caught:
        read_rows("a.xlsx", data)
    assert caught.value.cells[0][:2] == (2, "身份证号")
    assert len(caught.value.cells) == 1
    assert "第 2 行“身份证号”" in caught.value.message and "文本" in caught.value.message


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_encodings(encoding):
    text = "乡镇（街道）,姓名\r\n新民镇,张三\r\n\r\n沙坪镇,\"李,四\"\r\n"
    header, rows = read_rows("a.CSV", text.encode(encoding))
    assert header == ["乡镇（街道）", "姓名"]
    assert rows == [["新民镇", "张三"], ["", ""], ["沙坪镇", "李,四"]]


def test_tab_separated_unicode_text():
    header, rows = read_rows("a.csv", "姓名\t村\n张三\t凤凰村\n".encode("utf-16"))
    assert (header, rows) == (["姓名", "村"], [["张三", "凤凰村"]])


@pytest.mark.parametrize("filename, data, words", [
    ("a.csv", b"x" * 101, "超过上限"),
    ("a.xlsx", b"", "空文件"),
    ("a.xlsx", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "不是有效的 Excel"),
    ("a.xlsx", b"PK\x03\x04 not really a zip", "不是有效的 Excel"),
    ("a.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "不是文本格式"),
    ("a.xls", b"\xd0\xcf\x11\xe0", "另存为"),
    ("a.docx", b"PK", "不是表格文件"),
    ("a.csv", "姓名,村\n".encode(), "没有数据行"),
    ("a.csv", b"\r\n\r\n", "没有内容"),
])
def test_refusals(filename, data, words):
    with pytest.raises(ValidationError) as caught:
        read_rows(filename, data, max_bytes=100)
    assert words in caught.value.message


def test_header_only_xlsx():
    with pytest.raises(ValidationError, match="没有数据行"):
        read_rows("a.xlsx", xlsx_of([["姓名", "村"], [None, None]]))


def test_workbook_bytes_bold_header_text_columns_and_no_formulas():
    data = workbook_bytes([("家庭", ["姓名", "身份证号", "住址"],
                            [["张三", "500231199803120116", "=HYPERLINK(\"x\")"], ["李四", "", None]]),
                           ("说明", ["列"], iter([["a"]]))],
                          text_headers={"身份证号"})
    wb = load_workbook(io.BytesIO(data))
    sheet = wb["家庭"]
    assert sheet["A1"].font.b and sheet.column_dimensions["B"].number_format == "@"
    assert sheet["C2"].data_type == "s" and sheet["C2"].value == "=HYPERLINK(\"x\")"
    assert sheet["B2"].value == "500231199803120116" and sheet["B3"].value is None
    assert wb["说明"]["A2"].value == "a"
    header, rows = read_rows("a.xlsx", data)
    assert rows[0][2] == "=HYPERLINK(\"x\")"
