"""Importing applications taken through other channels (渝快办 / 救助通): all or nothing,
every error reported by row, column and reason; imported applications wait at 待受理."""

import io
import json
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import Application, ApplicationEvent, AuditEntry
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.application_columns import HEADERS, TEXT_HEADERS
from lowincome_portal.domain.errors import PermissionDenied
from lowincome_portal.services import intake
from lowincome_portal.services.application_import import (
    MSG_NO_CONSENT,
    created_workbook,
    error_report_workbook,
    import_applications,
    template_workbook,
)
from lowincome_portal.services.households import today_in_china
from lowincome_portal.services.spreadsheets import read_rows
from lowincome_portal.services.workbook_writer import workbook_bytes
from tests.idnumbers import make_id, with_bad_checksum
from tests.page_states import settle

TODAY = today_in_china()
APPLIED = (TODAY - timedelta(days=3)).isoformat()
FENGHUANG, CHANGLING, HONGYAN = "500231100200", "500231100201", "500231101200"


def born(years: int, seq: int) -> str:
    return make_id(birth=TODAY.replace(year=TODAY.year - years, day=1) - timedelta(days=40), seq=seq)


ZHOU, WU, ZHOU_JR = born(70, 11), born(68, 22), born(40, 31)   # 周大山, his wife, their son
LI = born(80, 42)                                               # 李秀英, alone


def row(ref="YKB001", channel="渝快办", applied=APPLIED, township="新民镇", village="凤凰村",
        address="凤凰村三组12号", phone="13800001111", difficulty="老两口无收入，老伴患病", consent="是",
        name="周大山", id_number=ZHOU, relation="申请人"):
    return [ref, channel, applied, township, village, address, phone, difficulty, consent, name, id_number,
            relation]


def member(ref="YKB001", name="吴小花", id_number=WU, relation="配偶"):
    return row(ref=ref, channel="", applied="", township="", village="", address="", phone="", difficulty="",
               consent="", name=name, id_number=id_number, relation=relation)


def good_rows():
    return [
        row(),
        member(),
        member(name="周小山", id_number=ZHOU_JR, relation="之子"),
        row(ref="JZT-0456", channel="救助通", village="长岭村", address="长岭村1组5号", phone="13900002222",
            difficulty="独居老人，无劳动能力", name="李秀英", id_number=LI, relation="本人"),
    ]


def csv_bytes(rows, encoding="utf-8-sig", headers=HEADERS) -> bytes:
    text = "\r\n".join(",".join(r) for r in [list(headers)] + rows) + "\r\n"
    return text.encode(encoding)


def xlsx(rows, headers=HEADERS) -> bytes:
    return workbook_bytes([("申请", list(headers), rows)], text_headers=TEXT_HEADERS)


def counts(engine):
    with Session(engine) as s:
        return tuple(s.exec(select(func.count()).select_from(t)).one()
                     for t in (Application, ApplicationEvent, AuditEntry))


def run(engine, actor, filename, data, **kw):
    """As the page does it: one unit of work, rolled back when the report is not ok."""
    with unit_of_work(engine) as s:
        report = import_applications(s, actor=actor, filename=filename, data=data, today=TODAY, **kw)
        if not report.ok:
            s.rollback()
    return report


def test_good_csv_creates_submitted_applications_with_members(engine, actor_of):
    before = counts(engine)
    seen = []
    report = run(engine, actor_of("xinmin"), "渝快办导出.csv", csv_bytes(good_rows()),
                 progress=lambda done, total: seen.append((done, total)))
    assert report.ok, report.errors
    assert (report.rows, report.applications, report.members) == (4, 2, 2)
    assert seen[-1] == (100, 100)
    # two applications, each with its first event and audit entry, plus the import's entry
    assert counts(engine) == (before[0] + 2, before[1] + 2, before[2] + 3)
    with Session(engine) as s:
        zhou = s.exec(select(Application).where(Application.applicant_id_number == ZHOU)).one()
        li = s.exec(select(Application).where(Application.applicant_id_number == LI)).one()
        assert report.tracking_numbers == [zhou.tracking_no, li.tracking_no]
        assert (zhou.state, zhou.channel, zhou.track, zhou.area_code, zhou.consent) == (
            "submitted", "import", "assistance", FENGHUANG, True)
        assert zhou.consent_at is not None and zhou.due_on is not None
        assert (zhou.applicant_name, zhou.applicant_phone, zhou.address) == ("周大山", "13800001111", "凤凰村三组12号")
        assert json.loads(zhou.members_json) == [
            {"name": "吴小花", "id_number": WU, "relation": "spouse"},
            {"name": "周小山", "id_number": ZHOU_JR, "relation": "child"}]
        assert (li.area_code, json.loads(li.members_json)) == (CHANGLING, [])
        event = s.exec(select(ApplicationEvent).where(ApplicationEvent.application_id == zhou.id)).one()
        assert (event.action, event.to_state, event.actor_name) == ("submit", "submitted", "王芳（新民镇）")
        assert event.comment == f"渝快办申请，外部申请编号 YKB001，原渠道申请日期 {APPLIED}"
        entry = s.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.entity, entry.username) == ("import", "application", "xinmin")
        assert json.loads(entry.new_values)["applications"] == 2 and "渝快办导出.csv" in entry.note
    assert report.created[1] == {"application_id": li.id, "tracking_no": li.tracking_no, "external_ref": "JZT-0456",
                                 "channel": "救助通", "applicant_name": "李秀英", "members": 0}


def test_good_xlsx_with_codes_aliases_and_columns_in_any_order(engine, actor_of):
    headers = ["关系", "姓名", "身份证号码", "办件编号", "村（社区）代码", "住址", "电话", "困难情况", "是否授权核查"]
    rows = [["户主", "周大山", ZHOU, "A-1", FENGHUANG, "凤凰村三组12号", "13800001111", "无收入", "是"],
            ["妻子", "吴小花", WU, "A-1", "", "", "", "", ""]]
    report = run(engine, actor_of("minzheng"), "救助通.xlsx", xlsx(rows, headers))
    assert report.ok, report.errors
    with Session(engine) as s:
        app = s.exec(select(Application).where(Application.applicant_id_number == ZHOU)).one()
        assert (app.state, app.area_code) == ("submitted", FENGHUANG)
        assert json.loads(app.members_json) == [{"name": "吴小花", "id_number": WU, "relation": "spouse"}]
        event = s.exec(select(ApplicationEvent).where(ApplicationEvent.application_id == app.id)).one()
        assert event.comment.startswith("其他申请，外部申请编号 A-1，原渠道申请日期 未填")


def test_gb18030_csv(engine, actor_of):
    report = run(engine, actor_of("xinmin"), "导出.csv", csv_bytes(good_rows(), encoding="gb18030"))
    assert report.ok, report.errors
    assert report.applications == 2


def test_bad_id_missing_consent_and_duplicate_save_nothing_and_are_all_reported(engine, actor_of):
    rows = good_rows()
    rows[1] = member(id_number=with_bad_checksum(WU))                       # row 3: bad ID
    rows[3] = row(ref="JZT-0456", channel="救助通", village="长岭村", consent="否", name="李秀英", id_number=LI)
    rows.append(member(ref="JZT-0456", name="王五", id_number=born(50, 51), relation="申请人"))  # row 6
    before = counts(engine)
    report = run(engine, actor_of("xinmin"), "有错.xlsx", xlsx(rows))
    assert not report.ok and (report.applications, report.members, report.created) == (0, 0, [])
    assert counts(engine) == before
    assert [e[:2] for e in report.errors] == [(3, "身份证号"), (5, "已授权核查"), (6, "与申请人关系")]
    assert "校验码错误" in report.errors[0][2] and not report.errors[0][2].startswith("第")
    assert report.errors[1][2] == MSG_NO_CONSENT
    assert "JZT-0456 在第 5 行已有申请人" in report.errors[2][2]
    # the report downloads as a workbook with the same rows
    sheet = load_workbook(io.BytesIO(error_report_workbook(report.errors))).active
    assert [c.value for c in sheet[1]] == ["行号", "列", "错误原因"]
    assert [(r[0], r[1]) for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        (3, "身份证号"), (5, "已授权核查"), (6, "与申请人关系")]


BAD = {
    "same applicant in two applications": (
        lambda rows: rows + [row(ref="YKB999", name="周大山", id_number=ZHOU)],
        (6, "身份证号", "与第 2 行重复")),
    "member listed in two applications": (
        lambda rows: rows + [member(ref="JZT-0456", name="吴小花", id_number=WU)],
        (6, "身份证号", "与第 3 行重复")),
    "no applicant row": (lambda rows: rows[1:], (2, "与申请人关系", "没有申请人")),
    "consent left blank": (lambda rows: [row(consent="")] + rows[1:], (2, "已授权核查", "不能为空")),
    "consent not yes or no": (lambda rows: [row(consent="也许")] + rows[1:], (2, "已授权核查", "应填“是”或“否”")),
    "blank external number": (lambda rows: rows + [row(ref="", id_number=born(30, 61))], (6, "外部申请编号", "不能为空")),
    "unknown channel": (lambda rows: [row(channel="微信")] + rows[1:], (2, "申请渠道", "不在可选范围内")),
    "future date": (lambda rows: [row(applied=(TODAY + timedelta(days=1)).isoformat())] + rows[1:],
                    (2, "申请日期", "不能晚于")),
    "unknown village": (lambda rows: [row(village="凤凰山村")] + rows[1:], (2, "村（社区）", "没有名称为“凤凰山村”")),
    "village not in the township": (lambda rows: [row(village="红岩村")] + rows[1:], (2, "村（社区）", "新民镇下没有")),
    "facts disagree": (lambda rows: rows[:1] + [member(relation="配偶")[:6] + ["13900000000"] + member()[7:]]
                       + rows[2:], (3, "联系电话", "第 2 行为“13800001111”")),
    "phone missing": (lambda rows: [row(phone="")] + rows[1:], (2, "联系电话", "请填写联系电话")),
    "relation not in the list": (lambda rows: rows[:1] + [member(relation="表亲")] + rows[2:],
                                 (3, "与申请人关系", "与申请人关系“表亲”不在可选范围内")),
    "template example left in": (lambda rows: rows + [_template_rows()[0]], (6, "身份证号", "示例行")),
}


def _template_rows():
    return read_rows("t.xlsx", template_workbook())[1]


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_row_changes_nothing_and_is_reported(engine, actor_of, case):
    change, (line, column, reason) = BAD[case]
    before = counts(engine)
    report = run(engine, actor_of("xinmin"), "a.xlsx", xlsx(change(good_rows())))
    assert not report.ok and report.created == []
    assert counts(engine) == before
    assert any(e[:2] == (line, column) and reason in e[2] for e in report.errors), report.errors


def test_applicant_with_an_open_application_is_refused_with_its_tracking_number(engine, actor_of):
    first = run(engine, actor_of("xinmin"), "a.csv", csv_bytes(good_rows()))
    assert first.ok
    before = counts(engine)
    report = run(engine, actor_of("xinmin"), "again.csv", csv_bytes(good_rows()))
    assert counts(engine) == before
    zhou_no, li_no = first.tracking_numbers
    assert [e[:2] for e in report.errors] == [(2, "身份证号"), (5, "身份证号")]
    assert f"受理编号 {zhou_no}，当前环节“待受理”" in report.errors[0][2]
    assert li_no in report.errors[1][2]
    # once the case is closed (不予受理), the person may apply again
    with unit_of_work(engine) as s:
        for created in first.created:
            intake.take_step(s, actor=actor_of("xinmin"), application_id=created["application_id"],
                             action="not_accept", comment="材料不全", today=TODAY)
    assert run(engine, actor_of("xinmin"), "third.csv", csv_bytes(good_rows())).ok


def test_open_application_elsewhere_is_named_but_not_described(engine, actor_of):
    assert run(engine, actor_of("xinmin"), "a.csv", csv_bytes(good_rows())).ok
    rows = [row(township="沙坪镇", village="红岩村")]
    report = run(engine, actor_of("shaping"), "b.csv", csv_bytes(rows))
    (line, column, reason), = report.errors
    assert (line, column) == (2, "身份证号") and "SQ" in reason and "不在您的管辖范围" in reason


def test_another_townships_village_is_refused(engine, actor_of):
    before = counts(engine)
    report = run(engine, actor_of("shaping"), "a.csv", csv_bytes(good_rows()))
    assert counts(engine) == before
    assert [e[:2] for e in report.errors] == [(2, "村（社区）"), (5, "村（社区）")]
    assert "新民镇凤凰村不在您的管辖范围（沙坪镇）内" in report.errors[0][2]
    # by code too, and its own village is fine
    report = run(engine, actor_of("shaping"), "b.csv", csv_bytes([row(township="", village=FENGHUANG)]))
    assert report.errors[0][:2] == (2, "村（社区）")
    report = run(engine, actor_of("shaping"), "c.csv", csv_bytes([row(township="沙坪镇", village=HONGYAN)]))
    assert report.ok, report.errors


def test_village_staff_and_partners_may_not_import(engine, actor_of):
    for username in ("fenghuang", "cishan", "lingdao"):
        with pytest.raises(PermissionDenied):
            run(engine, actor_of(username), "a.csv", csv_bytes(good_rows()))


FILES = {
    "empty": ("a.csv", b"", "空文件"),
    "header only": ("a.csv", csv_bytes([]), "没有数据行"),
    "old excel": ("a.xls", b"\xd0\xcf\x11\xe0", ".xls"),
    "not a spreadsheet": ("a.pdf", b"%PDF-1.4", "不是表格文件"),
    "too big": ("a.csv", b"a" * (20 * 1024 * 1024 + 1), "超过上限"),
}


@pytest.mark.parametrize("case", list(FILES))
def test_file_limits_of_the_registry_import_apply(engine, actor_of, case):
    name, data, reason = FILES[case]
    report = run(engine, actor_of("xinmin"), name, data)
    (line, column, message), = report.errors
    assert (line, column) == (0, "") and reason in message


def test_header_problems_are_reported_on_row_one(engine, actor_of):
    headers = [h for h in HEADERS if h != "已授权核查"] + ["备注"]
    rows = [r[:8] + r[9:] + ["x"] for r in good_rows()]
    report = run(engine, actor_of("xinmin"), "a.csv", csv_bytes(rows, headers=headers))
    assert (1, "已授权核查", "缺少必填列") in report.errors
    assert any(e[:2] == (1, "备注") and "无法识别" in e[2] for e in report.errors)


def test_template_lists_every_column_and_its_example_rows_are_refused(engine, actor_of):
    data = template_workbook()
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["申请人及家庭成员", "填写说明"]
    header, rows = read_rows("模板.xlsx", data)
    assert header == list(HEADERS) and len(rows) == 4
    assert [r[0] for r in book["填写说明"].iter_rows(min_row=2, max_row=len(HEADERS) + 1, values_only=True)] == \
        list(HEADERS)
    report = run(engine, actor_of("xinmin"), "模板.xlsx", data)
    examples = [e for e in report.errors if "示例行" in e[2]]
    assert [e[0] for e in examples] == [2, 3, 4, 5]


def test_created_workbook_lists_tracking_numbers(engine, actor_of):
    report = run(engine, actor_of("xinmin"), "a.csv", csv_bytes(good_rows()))
    sheet = load_workbook(io.BytesIO(created_workbook(report.created))).active
    assert [r[:2] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        (report.tracking_numbers[0], "YKB001"), (report.tracking_numbers[1], "JZT-0456")]


def test_openpyxl_written_xlsx_imports(engine, actor_of):
    book = Workbook()
    book.active.append(list(HEADERS))
    for r in good_rows():
        book.active.append(r)
    buffer = io.BytesIO()
    book.save(buffer)
    report = run(engine, actor_of("xinmin"), "openpyxl.xlsx", buffer.getvalue())
    assert report.ok, report.errors


# --- the page's handlers ------------------------------------------------------------

def page_state(engine, username):
    import reflex as rx

    from lowincome_portal.demo.seed import DEMO_PASSWORD
    from lowincome_portal.pages.application_import import ApplicationImportState
    from lowincome_portal.services import auth

    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(ApplicationImportState.get_full_name().split("."))
    with unit_of_work(engine) as s:
        state.token = auth.login(s, username, DEMO_PASSWORD).token
    return state


def test_page_downloads_for_township_staff_and_refuses_village_staff(engine):
    from lowincome_portal.pages.application_import import ApplicationImportState as S

    state = page_state(engine, "xinmin")
    assert settle(S.download_template.fn(state)) is not None and state.error == ""
    assert settle(S.download_errors.fn(state)) is None  # nothing to download yet
    state = page_state(engine, "fenghuang")
    assert settle(S.download_template.fn(state)) is None
    assert state.error == "您没有执行此操作的权限"


def test_page_run_rolls_back_a_bad_file(engine, actor_of):
    from lowincome_portal.pages.application_import import _run
    from lowincome_portal.pages.registry_import import Progress

    before = counts(engine)
    rows = good_rows()
    rows[0] = row(consent="否")
    progress = Progress()
    report = _run(actor_of("xinmin"), "a.csv", csv_bytes(rows), progress)
    assert [e[:2] for e in report.errors] == [(2, "已授权核查")]
    assert counts(engine) == before
    report = _run(actor_of("xinmin"), "a.csv", csv_bytes(good_rows()), progress)
    assert report.ok and progress.percent() == 100
    assert counts(engine)[0] == before[0] + 2
