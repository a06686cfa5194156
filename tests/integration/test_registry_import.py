"""Registry import from Excel/CSV: all or nothing, every error reported by row, column and reason."""

import io
import json
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import AuditEntry, Household, Member
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.errors import PermissionDenied
from lowincome_portal.domain.import_columns import HEADERS
from lowincome_portal.services import registry_import
from lowincome_portal.services.registry_import import (
    error_report_workbook,
    import_registry,
    template_workbook,
)
from lowincome_portal.services.spreadsheets import read_rows
from lowincome_portal.services.workbook_writer import workbook_bytes
from tests.idnumbers import make_id, with_bad_checksum

TODAY = date(2026, 6, 1)
HEAD_A = make_id(birth=date(1998, 3, 12), seq=11)       # 张三, man
SPOUSE_A = make_id(birth=date(1999, 7, 21), seq=22)     # 李梅, woman
CHILD_A = make_id(birth=date(2019, 9, 1), seq=31)       # 张小宝, boy, under 16
HEAD_B = make_id(birth=date(2000, 5, 6), seq=42)        # 王芬, woman, lives alone


def row(township="新民镇", village="凤凰村", address="凤凰村3组12号", phone="13800000001",
        bank="重庆农村商业银行", account="622848000000000001", head=HEAD_A, name="张三",
        id_number=HEAD_A, relation="户主", sex="", birth="", labour="", health="", dis_type="",
        dis_grade="", employment="", schooling="", insured=""):
    return [township, village, address, phone, bank, account, head, name, id_number, relation, sex,
            birth, labour, health, dis_type, dis_grade, employment, schooling, insured]


def good_rows():
    return [
        row(sex="男", birth="1998-03-12", employment="务农"),
        row(name="李梅", id_number=SPOUSE_A, relation="配偶", health="残疾", dis_type="肢体残疾",
            dis_grade="四级", insured="否"),
        # household facts may be left to the other rows of the household
        row(township="", village="", address="", phone="", bank="", account="", name="张小宝",
            id_number=CHILD_A, relation="子女", schooling="学前教育"),
        row(village="长岭村", address="长岭村1组", phone="", bank="", account="", head=HEAD_B,
            name="王芬", id_number=HEAD_B),
    ]


def xlsx(rows, headers=None) -> bytes:
    return workbook_bytes([("家庭成员", list(headers or HEADERS), rows)])


def counts(engine):
    with Session(engine) as s:
        return tuple(s.exec(select(func.count()).select_from(t)).one() for t in (Household, Member, AuditEntry))


def run(engine, actor, filename, data, **kw):
    """As a page or the command line does it: one unit of work, rolled back when not ok."""
    with unit_of_work(engine) as s:
        report = import_registry(s, actor, filename, data, today=TODAY, **kw)
        if not report.ok:
            s.rollback()
    return report


def test_good_xlsx_imports_households_members_and_one_audit_entry(engine, actor_of):
    before = counts(engine)
    seen = []
    report = run(engine, actor_of("xinmin"), "花名册.xlsx", xlsx(good_rows()),
                 progress=lambda done, total: seen.append((done, total)))
    assert report.ok, report.errors
    assert (report.households, report.members) == (2, 4)
    assert counts(engine) == (before[0] + 2, before[1] + 4, before[2] + 1)
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1]
    with Session(engine) as s:
        a = s.exec(select(Household).where(Household.head_id_number == HEAD_A)).one()
        b = s.exec(select(Household).where(Household.head_id_number == HEAD_B)).one()
        assert (a.area_code, a.head_name, a.member_count, a.current_tags, a.status) == (
            "500231100200", "张三", 3, "", "active")
        assert (a.address, a.phone, a.bank_name, a.bank_account) == (
            "凤凰村3组12号", "13800000001", "重庆农村商业银行", "622848000000000001")
        assert (b.area_code, b.head_name, b.member_count, b.phone) == ("500231100201", "王芬", 1, "")
        assert (report.first_household_id, report.last_household_id) == (a.id, b.id)
        members = {m.id_number: m for m in s.exec(select(Member).where(Member.household_id == a.id))}
        assert set(members) == {HEAD_A, SPOUSE_A, CHILD_A}
        spouse, child = members[SPOUSE_A], members[CHILD_A]
        assert (spouse.sex, spouse.relation, spouse.disability_type, spouse.disability_grade,
                spouse.medical_insurance) == ("female", "spouse", "physical", 4, False)
        assert (child.sex, child.birth_date, child.labour_capacity, child.in_school,
                child.medical_insurance, child.active) == ("male", date(2019, 9, 1), "none", True, True, True)
        entry = s.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.entity, entry.username) == ("import", "household", "xinmin")
        assert json.loads(entry.new_values) == {"households": 2, "members": 4,
                                                "first_household_id": a.id, "last_household_id": b.id}
        assert "花名册.xlsx" in entry.note


def test_gb18030_csv_by_county_staff(engine, actor_of):
    rows = good_rows()
    rows[3] = row(township="沙坪镇", village="红岩村", head=HEAD_B, name="王芬", id_number=HEAD_B)
    text = "\r\n".join(",".join(r) for r in [list(HEADERS)] + rows) + "\r\n"
    before = counts(engine)
    report = run(engine, actor_of("minzheng"), "导出.csv", text.encode("gb18030"))
    assert report.ok, report.errors
    assert counts(engine) == (before[0] + 2, before[1] + 4, before[2] + 1)
    with Session(engine) as s:
        assert s.exec(select(Household.area_code).where(Household.head_name == "王芬")).one() == "500231101200"


def replace(index, **changes):
    def change(rows):
        rows[index] = row(**{**_ROW_ARGS[index], **changes})
        return rows
    return change


_ROW_ARGS = [
    dict(sex="男", birth="1998-03-12", employment="务农"),
    dict(name="李梅", id_number=SPOUSE_A, relation="配偶", health="残疾", dis_type="肢体残疾",
         dis_grade="四级", insured="否"),
    dict(township="", village="", address="", phone="", bank="", account="", name="张小宝",
         id_number=CHILD_A, relation="子女", schooling="学前教育"),
    dict(village="长岭村", address="长岭村1组", phone="", bank="", account="", head=HEAD_B,
         name="王芬", id_number=HEAD_B),
]

FUTURE = make_id(birth=date(2026, 12, 1), seq=51)
ELDER = make_id(birth=date(1950, 5, 6), seq=72)

BAD_ROWS = {
    "invalid checksum": (replace(1, id_number=with_bad_checksum(SPOUSE_A)), (3, "身份证号", "校验码错误")),
    "birth date in the future": (replace(2, id_number=FUTURE), (4, "身份证号", "晚于今天")),
    "typed sex contradicts the ID": (replace(1, sex="男"), (3, "性别", "与身份证号不符")),
    "typed birth date contradicts the ID": (replace(0, birth="1998-03-13"), (2, "出生日期", "与身份证号不符")),
    "impossible typed date": (replace(0, birth="1998-02-30"), (2, "出生日期", "不是有效日期")),
    "labour capacity against the rules": (replace(3, head=ELDER, id_number=ELDER, labour="全部劳动能力"),
                                          (5, "劳动能力", "已满 60 周岁")),
    "value not in the list": (replace(1, relation="表亲"), (3, "与户主关系", "不在可选范围内")),
    "unknown township": (replace(3, township="新明镇"), (5, "乡镇（街道）", "“新明镇”不是系统中的乡镇")),
    "unknown village": (replace(3, village="长林村"), (5, "村（社区）", "新民镇没有名为“长林村”")),
    "village outside the actor's township": (replace(3, township="沙坪镇", village="红岩村"),
                                              (5, "村（社区）", "不在您的管辖范围")),
    "duplicate ID inside the file": (replace(3, id_number=SPOUSE_A, head=SPOUSE_A), (5, "身份证号", "与第 3 行重复")),
    "two heads": (replace(1, relation="户主"), (3, "与户主关系", "与户主身份证号")),
    "no head": (replace(3, relation="子女"), (5, "与户主关系", "应填“户主”")),
    "household facts disagree": (replace(1, phone="13900000000"), (3, "联系电话", "第 2 行为“13800000001”")),
    "bad phone": (replace(3, phone="12ab"), (5, "联系电话", "7-12 位数字")),
    "disability type without grade": (replace(1, dis_grade=""), (3, "残疾类别", "同时填写")),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_a_bad_row_changes_nothing_and_is_reported(engine, actor_of, case):
    change, (line, column, reason) = BAD_ROWS[case]
    before = counts(engine)
    report = run(engine, actor_of("xinmin"), "花名册.xlsx", xlsx(change(good_rows())))
    assert not report.ok and (report.households, report.members) == (0, 0)
    assert counts(engine) == before
    assert any(e[:2] == (line, column) and reason in e[2] for e in report.errors), report.errors


def test_household_without_its_head_row(engine, actor_of):
    rows = good_rows()
    del rows[0]
    report = run(engine, actor_of("xinmin"), "a.xlsx", xlsx(rows))
    assert (2, "户主身份证号") in [e[:2] for e in report.errors]
    assert any("没有户主本人" in e[2] for e in report.errors)


def test_every_error_is_collected_in_row_order(engine, actor_of):
    rows = good_rows()
    rows[1] = row(**{**_ROW_ARGS[1], "id_number": with_bad_checksum(SPOUSE_A)})
    rows[2] = row(**{**_ROW_ARGS[2], "sex": "女"})
    rows[3] = row(**{**_ROW_ARGS[3], "village": "红岩村"})
    rows.insert(3, [""] * len(HEADERS))  # a blank row keeps the numbering of the rows below it
    report = run(engine, actor_of("xinmin"), "a.xlsx", xlsx(rows))
    assert [e[:2] for e in report.errors] == [(3, "身份证号"), (4, "性别"), (6, "村（社区）")]


def test_member_already_registered_names_the_household(engine, actor_of):
    assert run(engine, actor_of("xinmin"), "first.xlsx", xlsx(good_rows())).ok
    before = counts(engine)
    newcomer = make_id(birth=date(2001, 1, 2), seq=61)
    rows = [row(head=newcomer, name="赵六", id_number=newcomer),
            row(head=newcomer, name="李梅", id_number=SPOUSE_A, relation="配偶")]
    report = run(engine, actor_of("xinmin"), "second.xlsx", xlsx(rows))
    assert report.errors == [(3, "身份证号", f"身份证号 {SPOUSE_A} 已是新民镇凤凰村 张三 家庭的在册成员")]
    assert counts(engine) == before
    # Another township learns where the person is registered, not whose household it is.
    rows = [row(township="沙坪镇", village="红岩村", head=newcomer, name="赵六", id_number=newcomer),
            row(township="沙坪镇", village="红岩村", head=newcomer, name="李梅", id_number=SPOUSE_A,
                relation="配偶")]
    report = run(engine, actor_of("shaping"), "third.xlsx", xlsx(rows))
    (line, column, reason), = report.errors
    assert (line, column) == (3, "身份证号") and "新民镇凤凰村" in reason and "张三" not in reason
    assert counts(engine) == before


def test_missing_and_unknown_columns_are_named(engine, actor_of):
    headers = [h if h != "户主身份证号" else "备注栏" for h in HEADERS]
    before = counts(engine)
    report = run(engine, actor_of("xinmin"), "a.xlsx", xlsx(good_rows(), headers))
    assert (1, "户主身份证号", "缺少必填列") in report.errors
    assert any(e[:2] == (1, "备注栏") and "无法识别的列" in e[2] for e in report.errors)
    assert counts(engine) == before


def test_unknown_column_alone_is_refused(engine, actor_of):
    headers = list(HEADERS) + ["备注"]
    rows = [r + ["x"] for r in good_rows()]
    report = run(engine, actor_of("xinmin"), "a.xlsx", xlsx(rows, headers))
    assert [e[:2] for e in report.errors] == [(1, "备注")]


def test_optional_columns_may_be_left_out_and_reordered(engine, actor_of):
    keep = ["身份证号", "姓名", "户主身份证号", "与户主关系", "村（社区）", "乡镇（街道）"]
    index = [HEADERS.index(h) for h in keep]
    rows = [[r[i] for i in index] for r in good_rows()]
    headers = [" 身份证号 ", "姓名", "户主身份证号", "与户主关系", "村(社区)", "乡镇（街道） "]
    report = run(engine, actor_of("xinmin"), "a.xlsx", xlsx(rows, headers))
    assert report.ok, report.errors
    assert (report.households, report.members) == (2, 4)


FILE_PROBLEMS = {
    "20 MB+": ("big.csv", lambda: b"a" * (20 * 1024 * 1024 + 1), "超过上限 20 MB"),
    "PNG renamed .xlsx": ("photo.xlsx", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "不是有效的 Excel"),
    "not a spreadsheet extension": ("photo.png", lambda: b"\x89PNG\r\n\x1a\n", "不是表格文件"),
    "empty file": ("empty.xlsx", lambda: b"", "空文件"),
    "header only": ("header.xlsx", lambda: xlsx([]), "没有数据行"),
    "header only CSV": ("header.csv", lambda: ",".join(HEADERS).encode("utf-8-sig"), "没有数据行"),
}


@pytest.mark.parametrize("case", list(FILE_PROBLEMS))
def test_a_bad_file_changes_nothing(engine, actor_of, case):
    filename, data, reason = FILE_PROBLEMS[case]
    before = counts(engine)
    report = run(engine, actor_of("xinmin"), filename, data())
    assert len(report.errors) == 1 and report.errors[0][:2] == (0, "") and reason in report.errors[0][2], report.errors
    assert counts(engine) == before


def test_id_numbers_excel_turned_into_numbers_are_refused_by_cell(engine, actor_of):
    wb = Workbook()
    sheet = wb.active
    sheet.append(list(HEADERS))
    for r in good_rows():
        r[8] = float(r[8]) if r[8] == SPOUSE_A else r[8]
        sheet.append(r)
    buffer = io.BytesIO()
    wb.save(buffer)
    before = counts(engine)
    report = run(engine, actor_of("xinmin"), "a.xlsx", buffer.getvalue())
    (line, column, reason), = report.errors
    assert (line, column) == (3, "身份证号") and "文本" in reason
    assert counts(engine) == before


def test_error_list_is_capped(engine, actor_of, monkeypatch):
    monkeypatch.setattr(registry_import, "MAX_REPORTED_ERRORS", 3)
    rows = [row(head=make_id(birth=date(2000, 1, 1), seq=s), id_number=make_id(birth=date(2000, 1, 1), seq=s),
                township="无此镇") for s in range(1, 11)]
    report = run(engine, actor_of("xinmin"), "a.xlsx", xlsx(rows))
    assert report.error_count == 10 and len(report.errors) == 4
    assert report.errors[-1] == (0, "", "另有 7 处错误未列出")


def test_village_staff_may_not_import(engine, actor_of):
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        import_registry(s, actor_of("fenghuang"), "a.xlsx", xlsx(good_rows()), today=TODAY)


def test_template_explains_the_columns_and_its_example_is_not_imported(engine, actor_of):
    data = template_workbook()
    header, rows = read_rows("模板.xlsx", data)
    assert header == list(HEADERS) and len(rows) == 3
    rules = load_workbook(io.BytesIO(data), read_only=True)["填写说明"]
    listed = {r[0]: r for r in rules.iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert set(HEADERS) <= set(listed)
    assert "户主" in listed["与户主关系"][3] and listed["身份证号"][1] == "必填"
    report = run(engine, actor_of("xinmin"), "模板.xlsx", data)
    assert [e[:2] for e in report.errors] == [(2, "身份证号"), (3, "身份证号"), (4, "身份证号")]
    assert all("示例" in e[2] for e in report.errors)


def test_error_report_workbook():
    errors = [(0, "", "文件为空"), (3, "身份证号", "校验码错误")]
    header, rows = read_rows("errors.xlsx", error_report_workbook(errors))
    assert header == ["行号", "列", "错误原因"]
    assert rows == [["", "", "文件为空"], ["3", "身份证号", "校验码错误"]]


def test_common_register_words_are_understood(engine, actor_of):
    rows = good_rows()
    rows[0][9] = "本人"
    rows[1][9] = "之妻"
    rows[1][15] = "4级"
    rows[1][18] = "未参保"
    report = run(engine, actor_of("xinmin"), "a.xlsx", xlsx(rows))
    assert report.ok, report.errors
    with Session(engine) as s:
        spouse = s.exec(select(Member).where(Member.id_number == SPOUSE_A)).one()
        head = s.exec(select(Member).where(Member.id_number == HEAD_A)).one()
        assert (head.relation, spouse.relation, spouse.disability_grade, spouse.medical_insurance) == (
            "head", "spouse", 4, False)


def test_someone_registering_the_same_person_meanwhile_rolls_everything_back(engine, actor_of, monkeypatch):
    from lowincome_portal.domain.errors import ValidationError

    assert run(engine, actor_of("xinmin"), "first.xlsx", xlsx(good_rows()[:3])).ok
    before = counts(engine)
    # The person was registered after the check ran: the database's unique index catches it.
    monkeypatch.setattr(registry_import._Checker, "check_registered", lambda self: None)
    with pytest.raises(ValidationError, match="其他用户"), unit_of_work(engine) as s:
        import_registry(s, actor_of("xinmin"), "again.xlsx", xlsx(good_rows()), today=TODAY)
    assert counts(engine) == before


def test_values_under_a_blank_header_are_reported(engine, actor_of):
    headers = list(HEADERS) + [""]
    rows = [r + [""] for r in good_rows()]
    rows[2][-1] = "备注内容"
    report = run(engine, actor_of("xinmin"), "a.csv",
                 "\n".join(",".join(r) for r in [headers] + rows).encode("utf-8"))
    assert [e[:2] for e in report.errors] == [(4, "第 T 列")]
