"""Reading and writing spreadsheets: text cells, refusals with Chinese messages."""

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from lowincome_portal.domain.errors import ValidationError
from lowincome_portal.services.spreadsheets import SpreadsheetCellError, read_rows
from lowincome_portal.services.workbook_writer import workbook_bytes


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
    # a formula written by a program has no cached value: it reads as blank; so does an
    # error cell (python-calamine hands errors over as "", its issue #105)
    assert rows == [["2025-03-01 08:30:00", "", "TRUE", "", "123456789012345", "13800000000"],
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


def _prefixed(strings_part: str = "sharedStrings.xml") -> bytes:
    """The shape of files written by the .NET Open XML SDK and some county systems."""
    return _package({
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="r1" Type="{REL}/officeDocument" '
                       'Target="/xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<x:workbook xmlns:x="{MAIN}" xmlns:r="{REL}"><x:sheets>'
                           '<x:sheet name="名单" sheetId="1" r:id="rId7"/><x:sheet name="b" sheetId="2" r:id="rId8"/>'
                           '</x:sheets></x:workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}">'
                                      f'<Relationship Id="rId7" Type="{REL}/worksheet" Target="sheets/one.xml"/>'
                                      f'<Relationship Id="rId8" Type="{REL}/worksheet" Target="sheets/two.xml"/>'
                                      f'<Relationship Id="rId9" Type="{REL}/sharedStrings" Target="{strings_part}"/>'
                                      '</Relationships>',
        f"xl/{strings_part}": f'<x:sst xmlns:x="{MAIN}"><x:si><x:t>姓名</x:t></x:si>'
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


def test_prefixed_namespaces_shared_rich_text_and_cells_without_references():
    header, rows = read_rows("a.xlsx", _prefixed())
    assert header == ["姓名", "村"]
    assert rows == [["", ""], ["张三", "凤凰村"], ["", "公式值"]]


def test_shared_strings_outside_their_usual_place_are_refused_not_misread():
    # calamine looks for shared strings only at xl/sharedStrings.xml, where Excel, WPS,
    # LibreOffice, openpyxl and XlsxWriter put them; a file that moves them is refused.
    with pytest.raises(ValidationError, match="不是有效的 Excel"):
        read_rows("a.xlsx", _prefixed("strings.xml"))


def test_too_many_rows_are_refused():
    with pytest.raises(ValidationError, match="超过 3 行"):
        read_rows("a.xlsx", xlsx_of([["a"], ["1"], ["2"], ["3"], ["4"], ["5"]]), max_rows=3)
    with pytest.raises(ValidationError, match="超过 3 行"):
        read_rows("a.csv", b"a\n1\n2\n3\n4\n5\n", max_rows=3)
    header, rows = read_rows("a.csv", b"a\n1\n2\n3\n", max_rows=3)
    assert len(rows) == 3


def test_a_formula_with_its_cached_value():
    cell = '<c r="B2" t="str"><f>A2&amp;"x"</f><v>甲x</v></c><c r="C2"><f>1+1</f><v>2</v></c>'
    data = _package({
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="r1" Type="{REL}/officeDocument" '
                       'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                           '<sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}">'
                                      f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/a.xml"/>'
                                      '</Relationships>',
        "xl/worksheets/a.xml": f'<worksheet xmlns="{MAIN}"><sheetData>'
                               '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c>'
                               '<c r="B1" t="inlineStr"><is><t>b</t></is></c>'
                               '<c r="C1" t="inlineStr"><is><t>c</t></is></c></row>'
                               f'<row r="2" spans="1:3"><c r="A2" t="inlineStr"><is><t>甲</t></is></c>{cell}</row>'
                               '<row r="4"/></sheetData><rowBreaks count="0"/></worksheet>',
    })
    assert read_rows("a.xlsx", data) == (["a", "b", "c"], [["甲", "甲x", "2"]])


def _excel_like(sheet_rows: str) -> bytes:
    """A package shaped like Excel's own: shared strings, a styles part, cells with s= and t=."""
    return _package({
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="r1" Type="{REL}/officeDocument" '
                       'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><workbookPr/><sheets>'
                           '<sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}">'
                                      f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                                      f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
                                      f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
                                      '</Relationships>',
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}" count="3" uniqueCount="3"><si><t>姓名</t></si>'
                                '<si><t>出生日期</t></si><si><t>身份证号</t></si><si><t>王&amp;五</t></si></sst>',
        "xl/styles.xml": f'<styleSheet xmlns="{MAIN}"><numFmts count="1">'
                         '<numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
                         '</numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="176"/>'
                         '<xf numFmtId="49"/></cellXfs></styleSheet>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><dimension ref="A1"/><sheetData>'
                                    '<row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
                                    f'<c r="C1" t="s"><v>2</v></c></row>{sheet_rows}</sheetData></worksheet>',
    })


def test_excel_shaped_file_shared_strings_and_date_styles():
    data = _excel_like('<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" s="1"><v>45000</v></c>'
                       '<c r="C2" s="3" t="s"><v>2</v></c></row>'
                       '<row r="3"><c r="B3" s="2"><v>36526</v></c><c r="C3" s="0"><v>123456</v></c></row>')
    # the wrong <dimension ref="A1"> (some programs write it) does not cut the sheet short
    assert read_rows("a.xlsx", data) == (["姓名", "出生日期", "身份证号"],
                                         [["王&五", "2023-03-15", "身份证号"], ["", "2000-01-01", "123456"]])


def test_excel_shaped_file_with_an_id_number_stored_as_a_float():
    data = _excel_like('<row r="2"><c r="A2" t="s"><v>3</v></c>'
                       '<c r="C2" s="0"><v>5.0023119980312E+17</v></c></row>'
                       '<row r="3"><c r="A3" t="s"><v>3</v></c>'
                       '<c r="C3"><v>500231199803120116</v></c></row>')
    with pytest.raises(SpreadsheetCellError) as caught:
        read_rows("a.xlsx", data)
    assert [c[:2] for c in caught.value.cells] == [(2, "身份证号"), (3, "身份证号")]
    assert "5.0023119980312E+17" in caught.value.cells[0][2]


def _one_sheet(sheet_data: str, root: str = f'<worksheet xmlns="{MAIN}">') -> bytes:
    end = "</x:worksheet>" if root.startswith("<x:") else "</worksheet>"
    data_tag = "x:sheetData" if root.startswith("<x:") else "sheetData"
    return _package({
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="r1" Type="{REL}/officeDocument" '
                       'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                           '<sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}">'
                                      f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/a.xml"/>'
                                      '</Relationships>',
        "xl/worksheets/a.xml": f'{root}<{data_tag}>{sheet_data}</{data_tag}>{end}',
    })


def _text(ref: str = "", value: str = "a", prefix: str = "") -> str:
    r = f' r="{ref}"' if ref else ""
    return f'<{prefix}c{r} t="inlineStr"><{prefix}is><{prefix}t>{value}</{prefix}t></{prefix}is></{prefix}c>'


FAR_AWAY = {
    # calamine would allocate every cell between A1 and the far one, and a failed
    # allocation kills the process: such files must be refused before calamine sees them
    "last cell of a sheet": (f'<row r="1">{_text("A1")}</row><row r="1048576">{_text("XFD1048576")}</row>',
                             "超过 200000 行"),
    "far column": (f'<row r="1">{_text("A1")}{_text("XFD1")}</row>', "列数超过 256 列"),
    "far row": (f'<row r="1">{_text("A1")}</row><row r="1048576">{_text("A1048576")}</row>', "超过 200000 行"),
    "a cell's own r beats its row's": (f'<row r="2">{_text("A1")}{_text("B900000")}</row>', "超过 200000 行"),
    "r after other attributes": ('<row r="1"><c t="inlineStr" r="IW1"><is><t>a</t></is></c></row>',
                                 "列数超过 256 列"),
    "cells without r take the next column": (f'<row>{_text() * 257}</row>', "列数超过 256 列"),
    "prefixed tags": (f'<x:row r="1">{_text("A1", prefix="x:")}{_text("ZZ1", prefix="x:")}</x:row>',
                      "列数超过 256 列"),
}


@pytest.mark.parametrize("case", list(FAR_AWAY))
def test_cells_too_far_away_are_refused_before_reading(case):
    sheet_data, words = FAR_AWAY[case]
    root = f'<x:worksheet xmlns:x="{MAIN}">' if "x:" in sheet_data else f'<worksheet xmlns="{MAIN}">'
    with pytest.raises(ValidationError, match=words):
        read_rows("a.xlsx", _one_sheet(sheet_data, root))


def test_rows_without_r_count_toward_the_row_limit():
    data = _one_sheet(f'<row>{_text()}</row>' * 5)
    assert len(read_rows("a.xlsx", data, max_rows=4)[1]) == 4
    with pytest.raises(ValidationError, match="超过 3 行"):
        read_rows("a.xlsx", data, max_rows=3)


def test_the_last_allowed_column_and_an_empty_far_cell_are_read():
    # an empty cell (only a style) far away takes no memory in calamine and is not refused
    data = _one_sheet(f'<row r="1">{_text("A1", "姓名")}{_text("IV1", "备注")}</row>'
                      f'<row r="2">{_text("A2", "张三")}<c r="XFD2" s="1"/></row>')
    header, rows = read_rows("a.xlsx", data)
    assert (len(header), header[0], header[-1], rows) == (256, "姓名", "备注", [["张三"] + [""] * 255])
