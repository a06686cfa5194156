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


def test_excel_kinds_of_cells():
    wb = Workbook()
    sheet = wb.active
    sheet.append(["日期", "公式", "布尔", "错误", "长数字", "电话"])
    sheet.append([datetime(2025, 3, 1, 8, 30), "=1+1", True, "#N/A", 123456789012345, 13800000000])
    sheet["A2"].number_format = 'yyyy"年"m"月"d"日"'
    sheet.append([45000, None, False, None, -7, 0.5])
    sheet["A3"].number_format = "yyyy/m/d"
    sheet["F3"].number_format = "0%"
    buffer = io.BytesIO()
    wb.save(buffer)
    header, rows = read_rows("a.xlsx", buffer.getvalue())
    # a formula written by a program has no cached value: it reads as blank
    assert rows == [["2025-03-01 08:30:00", "", "TRUE", "#N/A", "123456789012345", "13800000000"],
                    ["2023-03-15", "", "FALSE", "", "-7", "0.5"]]


def _package(files: dict[str, str]) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return buffer.getvalue()


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def test_prefixed_namespaces_shared_rich_text_and_cells_without_references():
    # The shape of files written by the .NET Open XML SDK and some county systems.
    data = _package({
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="r1" Type="{REL}/officeDocument" '
                       'Target="/xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<x:workbook xmlns:x="{MAIN}" xmlns:r="{REL}"><x:sheets>'
                           '<x:sheet name="名单" sheetId="1" r:id="rId7"/><x:sheet name="b" sheetId="2" r:id="rId8"/>'
                           '</x:sheets></x:workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}">'
                                      f'<Relationship Id="rId7" Type="{REL}/worksheet" Target="sheets/one.xml"/>'
                                      f'<Relationship Id="rId8" Type="{REL}/worksheet" Target="sheets/two.xml"/>'
                                      f'<Relationship Id="rId9" Type="{REL}/sharedStrings" Target="strings.xml"/>'
                                      '</Relationships>',
        "xl/strings.xml": f'<x:sst xmlns:x="{MAIN}"><x:si><x:t>姓名</x:t></x:si>'
                          '<x:si><x:r><x:t>张</x:t></x:r><x:r><x:rPr><x:b/></x:rPr><x:t>三</x:t></x:r>'
                          '<x:rPh sb="0" eb="1"><x:t>zhang</x:t></x:rPh></x:si>'
                          '<x:si><x:t xml:space="preserve"> 凤凰村_x000D_ </x:t></x:si></x:sst>',
        "xl/sheets/one.xml": f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
                             '<x:row><x:c t="s"><x:v>0</x:v></x:c>'
                             '<x:c t="inlineStr"><x:is><x:t>村</x:t></x:is></x:c></x:row>'
                             '<x:row r="3"><x:c t="s"><x:v>1</x:v></x:c><x:c t="s"><x:v>2</x:v></x:c></x:row>'
                             '<x:row r="4"><x:c r="B4" t="str"><x:f>A1</x:f><x:v>公式值</x:v></x:c></x:row>'
                             '</x:sheetData></x:worksheet>',
        "xl/sheets/two.xml": f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData/></x:worksheet>',
    })
    header, rows = read_rows("a.xlsx", data)
    assert header == ["姓名", "村"]
    assert rows == [["", ""], ["张三", "凤凰村"], ["", "公式值"]]


def test_too_many_rows_are_refused():
    with pytest.raises(ValidationError, match="超过 3 行"):
        read_rows("a.xlsx", xlsx_of([["a"], ["1"], ["2"], ["3"], ["4"], ["5"]]), max_rows=3)
    with pytest.raises(ValidationError, match="超过 3 行"):
        read_rows("a.csv", b"a\n1\n2\n3\n4\n5\n", max_rows=3)
    header, rows = read_rows("a.csv", b"a\n1\n2\n3\n", max_rows=3)
    assert len(rows) == 3
