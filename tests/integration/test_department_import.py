"""数据比对 on both databases: a department's medical-insurance file (CSV, GB18030 CSV and .xlsx)
raises the warnings its thresholds say - a 低保 household at 5,000 fires, another household at
5,000 does not - with the right counts; the same file again raises nothing new and says so;
files with unknown or missing columns, no rows, another month or the wrong type fail whole and
write nothing (and the failure can be recorded as a batch); bad rows are listed, not fatal;
only the county may import. Registry changes raise warnings too: a working member becoming
disabled (once), a member leaving by death, a household's income falling 40 % or its housing
turning unsafe."""

import dataclasses
import json
from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import AuditEntry, EconomicStatus, ImportBatch, RiskWarning, RiskWarningEvent
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.errors import PermissionDenied, ValidationError
from lowincome_portal.domain.masking import mask_id_number
from lowincome_portal.services import department_import, household_records, households, monitoring_rules
from lowincome_portal.services.department_import import import_department_file, record_failed_batch
from lowincome_portal.services.workbook_writer import workbook_bytes
from tests.idnumbers import make_id, with_bad_checksum

FENGHUANG, CHANGLING = "500231100200", "500231100201"
PERIOD = date(2026, 11, 1)
TODAY = date(2026, 11, 27)
SOURCE = "medical_insurance"
HEADERS = ["身份证号", "姓名", "数据月份", "年度累计自付", "单次住院最高自付", "当月门诊自付", "参保状态"]

DIBAO_HEAD = make_id(birth=date(1970, 5, 6), seq=301)
OTHER_HEAD = make_id(birth=date(1972, 8, 9), seq=303)
STRANGER = make_id(area="500102", birth=date(1990, 1, 2), seq=305)  # valid, not in the registry


@pytest.fixture
def county(engine, actor_of):
    """Two households of 凤凰村: one holding 低保, one holding no tag; the rules seeded."""
    with unit_of_work(engine) as s:
        monitoring_rules.seed_defaults(s)  # idempotent: the demo seed may already have done it
    xinmin, minzheng = actor_of("xinmin"), actor_of("minzheng")
    with unit_of_work(engine) as s:
        dibao = households.create_household(s, actor=xinmin, household={"area_code": FENGHUANG, "address": "凤凰村1组"},
                                             head={"id_number": DIBAO_HEAD, "name": "王低保"})
        other = households.create_household(s, actor=xinmin, household={"area_code": CHANGLING, "address": "长岭村2组"},
                                            head={"id_number": OTHER_HEAD, "name": "李其他"})
    with unit_of_work(engine) as s:
        household_records.add_tag(s, actor=minzheng, household_id=dibao, tag="dibao", start_date=date(2026, 1, 5),
                                  decision_ref="垫民发〔2026〕1号")
    return {"dibao": dibao, "other": other}


def row(id_number, name="某某", month="2026-11", year="0", inpatient="", outpatient="", insured="正常"):
    return [id_number, name, month, year, inpatient, outpatient, insured]


def csv_bytes(rows, headers=HEADERS, encoding="utf-8") -> bytes:
    lines = [",".join(headers)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def run(engine, actor, data, filename="医保2026年11月.csv", period=PERIOD, source=SOURCE):
    with unit_of_work(engine) as s:
        report = import_department_file(s, actor=actor, source_code=source, period=period, filename=filename,
                                        data=data, today=TODAY)
        if report.failed:
            s.rollback()
    return report


def counts(engine) -> dict:
    with Session(engine) as s:
        return {"warnings": s.exec(select(func.count()).select_from(RiskWarning)).one(),
                "events": s.exec(select(func.count()).select_from(RiskWarningEvent)).one(),
                "batches": s.exec(select(func.count()).select_from(ImportBatch)).one()}


def warnings_of(engine, household_id) -> list[RiskWarning]:
    with Session(engine) as s:
        return list(s.exec(select(RiskWarning).where(RiskWarning.household_id == household_id)
                           .order_by(RiskWarning.id)).all())


GOOD_ROWS = [row(DIBAO_HEAD, "王低保", year="5000"), row(OTHER_HEAD, "李其他", year="5000"),
             row(STRANGER, "张路人", year="30000")]


# --- a good file ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "gb18030", "xlsx"])
def test_a_file_raises_the_warnings_its_thresholds_say(engine, actor_of, county, fmt):
    if fmt == "xlsx":
        data = workbook_bytes([("医保结算", HEADERS, GOOD_ROWS)], text_headers={"身份证号"})
        filename = "医保结算.xlsx"
    else:
        data = csv_bytes(GOOD_ROWS, encoding="gb18030" if fmt == "gb18030" else "utf-8")
        filename = "医保结算.csv"
    progress = []
    with unit_of_work(engine) as s:
        report = import_department_file(s, actor=actor_of("minzheng"), source_code=SOURCE, period="2026-11",
                                        filename=filename, data=data, today=TODAY,
                                        progress=lambda done, total: progress.append((done, total)))
    assert not report.failed, report.message
    assert (report.rows_read, report.matched, report.unmatched, report.invalid, report.warnings_raised) == (3, 2, 1, 0, 1)
    assert report.unmatched_rows == [(4, "500102********" + STRANGER[-4:])]
    assert report.same_file_as is None and report.batch_id
    assert progress[0] == (0, 100) and progress[-1] == (100, 100)

    [warning] = warnings_of(engine, county["dibao"])
    assert (warning.rule_code, warning.period, warning.severity, warning.status, warning.source) == (
        "medical_annual", PERIOD, "high", "pending", SOURCE)
    assert warning.batch_id == report.batch_id and warning.area_code == FENGHUANG
    assert float(warning.value) == 5000 and float(warning.threshold) == 5000
    assert "低保" in warning.evidence and "5,000.00" in warning.evidence
    assert warning.raised_on == TODAY and warning.due_on > TODAY
    assert warning.member_id is not None
    assert warnings_of(engine, county["other"]) == []
    with Session(engine) as s:
        events = s.exec(select(RiskWarningEvent).where(RiskWarningEvent.warning_id == warning.id)).all()
        assert [(e.action, e.status) for e in events] == [("raise", "pending")]
        batch = s.get(ImportBatch, report.batch_id)
        assert (batch.status, batch.rows_read, batch.matched, batch.unmatched, batch.warnings_raised) == (
            "done", 3, 2, 1, 1)
        assert batch.filename == filename and batch.file_sha256 == report.file_sha256
        assert json.loads(batch.unmatched_rows) == [[4, "500102********" + STRANGER[-4:]]]
        entries = s.exec(select(AuditEntry).where(AuditEntry.entity.in_(["import_batch", "risk_warning"]))).all()
        assert sorted(e.entity for e in entries) == ["import_batch", "risk_warning"]


def test_the_same_file_again_raises_nothing_new_and_says_so(engine, actor_of, county):
    data = csv_bytes(GOOD_ROWS)
    first = run(engine, actor_of("minzheng"), data)
    second = run(engine, actor_of("nongye"), data)
    assert first.warnings_raised == 1 and second.warnings_raised == 0
    assert second.same_file_as == first.batch_id and str(first.batch_id) in second.message
    assert len(warnings_of(engine, county["dibao"])) == 1
    # a corrected file for the same month: the household already warned is not warned again
    third = run(engine, actor_of("minzheng"), csv_bytes(GOOD_ROWS + [row(make_id(seq=777), year="1")]))
    assert third.same_file_as is None and third.warnings_raised == 0
    with Session(engine) as s:
        listed = department_import.batches(s, actor=actor_of("minzheng"))
        assert [b["id"] for b in listed] == [third.batch_id, second.batch_id, first.batch_id]
        assert listed[1]["same_file_as"] == first.batch_id and listed[0]["source"] == "医保结算数据"
        detail = department_import.batch_detail(s, actor=actor_of("minzheng"), batch_id=first.batch_id)
        assert detail["unmatched_rows"] == [{"row": "4", "id_number": "500102********" + STRANGER[-4:]}]


def test_other_rules_of_the_source_fire_too(engine, actor_of, county):
    rows = [row(DIBAO_HEAD, year="100", inpatient="100", outpatient="600", insured="断保"),
            row(OTHER_HEAD, year="100", inpatient="25000")]
    report = run(engine, actor_of("minzheng"), csv_bytes(rows))
    assert report.warnings_raised == 3, report
    assert {w.rule_code for w in warnings_of(engine, county["dibao"])} == {"outpatient_month", "uninsured"}
    assert [w.rule_code for w in warnings_of(engine, county["other"])] == ["inpatient_stay"]


# --- bad rows: listed, counted, not fatal ----------------------------------------------------------

def test_bad_rows_are_listed_and_the_rest_imported(engine, actor_of, county):
    rows = [row(DIBAO_HEAD, year="5000"),                     # 2: fires
            row(with_bad_checksum(OTHER_HEAD), year="1"),     # 3: bad ID
            row(DIBAO_HEAD, year="9"),                        # 4: the same person again
            row(OTHER_HEAD, year="12abc"),                    # 5: bad number
            row(STRANGER, year="-5"),                         # 6: negative
            row(make_id(seq=401), month="2026-10", year="1"),  # 7: another month
            row(make_id(seq=403), month="下个月", year="1"),   # 8: no month
            ["", "", "", "", "", "", ""],                     # 9: blank, skipped
            row("", year="1")]                                # 10: no ID
    report = run(engine, actor_of("minzheng"), csv_bytes(rows))
    assert not report.failed, report.message
    assert (report.rows_read, report.invalid, report.matched, report.warnings_raised) == (8, 7, 1, 1)
    by_row = {r: (c, why) for r, c, why in report.errors}
    assert by_row[3][0] == "身份证号" and "校验" in by_row[3][1]
    # stored and downloaded: masked like the unmatched numbers
    assert mask_id_number(with_bad_checksum(OTHER_HEAD)) in by_row[3][1]
    assert with_bad_checksum(OTHER_HEAD) not in by_row[3][1]
    assert by_row[4] == ("身份证号", "与第 2 行身份证号重复")
    assert by_row[5][0] == "年度累计自付" and "12abc" in by_row[5][1]
    assert by_row[6][0] == "年度累计自付" and "负数" in by_row[6][1]
    assert by_row[7][0] == "数据月份" and "2026年10月" in by_row[7][1]
    assert by_row[8][0] == "数据月份" and "下个月" in by_row[8][1]
    assert by_row[10] == ("身份证号", "身份证号为空")
    assert report.error_count == 7 and [r for r, _, _ in report.errors] == sorted(r for r, _, _ in report.errors)


def test_a_row_refused_for_another_reason_is_not_the_first_of_a_repeat(engine, actor_of, county):
    rows = [row(DIBAO_HEAD, month="2026-10", year="5000"),   # 2: another month, refused
            row(OTHER_HEAD, year="1"),                       # 3: fine
            row(DIBAO_HEAD, year="5000")]                    # 4: fine - not a repeat of row 2
    report = run(engine, actor_of("minzheng"), csv_bytes(rows))
    assert not report.failed, report.message
    assert (report.rows_read, report.invalid, report.matched, report.warnings_raised) == (3, 1, 2, 1), report.errors
    assert [(r, c) for r, c, _ in report.errors] == [(2, "数据月份")]
    assert [w.rule_code for w in warnings_of(engine, county["dibao"])] == ["medical_annual"]


def test_infinite_and_nan_are_not_numbers(engine, actor_of, county):
    odd = ["inf", "-inf", "Infinity", "NaN", "nan", "1e999"]
    rows = [row(DIBAO_HEAD, year="5000")] + [row(make_id(seq=601 + 2 * i), year=text) for i, text in enumerate(odd)]
    report = run(engine, actor_of("minzheng"), csv_bytes(rows))
    assert not report.failed, report.message
    assert (report.rows_read, report.invalid, report.matched, report.warnings_raised) == (7, 6, 1, 1), report.errors
    assert report.errors == [(3 + i, "年度累计自付", f"“年度累计自付”不是有效的数字：{text}")
                             for i, text in enumerate(odd)]


def test_a_month_not_yet_over_is_refused(engine, actor_of, county):
    before = counts(engine)
    with pytest.raises(ValidationError, match="不能导入尚未结束的月份"):
        run(engine, actor_of("minzheng"), csv_bytes([row(DIBAO_HEAD, month="2026-12", year="5000")]),
            period=date(2026, 12, 1))
    assert counts(engine) == before
    # the current month (TODAY is in November) is allowed: the other tests import it


# --- files that fail whole ------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["unknown_column", "missing_column", "empty", "header_only", "wrong_month",
                                  "not_a_table", "ragged", "not_csv"])
def test_a_failed_file_writes_nothing_and_can_be_recorded(engine, actor_of, county, case):
    data, filename = csv_bytes(GOOD_ROWS), "医保.csv"
    if case == "unknown_column":
        data = csv_bytes([r + ["x"] for r in GOOD_ROWS], headers=HEADERS + ["备注 "])
    elif case == "missing_column":
        data = csv_bytes([r[:3] + r[4:] for r in GOOD_ROWS], headers=HEADERS[:3] + HEADERS[4:])
    elif case == "empty":
        data = b""
    elif case == "header_only":
        data = csv_bytes([])
    elif case == "wrong_month":
        data = csv_bytes([row(DIBAO_HEAD, month="2026年10月", year="5000"), row(OTHER_HEAD, month="202610")])
    elif case == "not_a_table":
        filename = "医保.txt"
    elif case == "ragged":
        data = csv_bytes(GOOD_ROWS + [row(STRANGER) + ["1", "2"]])
    elif case == "not_csv":
        data = workbook_bytes([("x", HEADERS, GOOD_ROWS)])
    before = counts(engine)
    report = run(engine, actor_of("minzheng"), data, filename=filename)
    assert report.failed and report.errors and report.message
    assert counts(engine) == before
    expected = {
        "unknown_column": ["无法识别的列：备注", "应有的列：身份证号、数据月份、姓名、年度累计自付"],
        "missing_column": ["缺少必填列：年度累计自付"],
        "empty": ["空文件"],
        "header_only": ["没有数据行"],
        "wrong_month": ["文件数据月份为 2026年10月，与所选月份 2026年11月 不符"],
        "not_a_table": ["请上传 .xlsx 或 .csv 文件"],
        "ragged": ["第 5 行"],
        "not_csv": ["不是文本格式的 CSV 文件"],
    }[case]
    for text in expected:
        assert text in report.message, report.message
    with unit_of_work(engine) as s:
        batch_id = record_failed_batch(s, actor=actor_of("minzheng"), report=report)
    with Session(engine) as s:
        batch = s.get(ImportBatch, batch_id)
        assert (batch.status, batch.message, batch.source_code) == ("failed", report.message[:500], SOURCE)
        assert batch.period == PERIOD
    assert counts(engine)["warnings"] == before["warnings"]


def test_a_file_over_the_size_limit_is_refused(engine, actor_of, county, monkeypatch):
    monkeypatch.setattr(department_import, "MAX_UPLOAD_BYTES", 100)
    report = run(engine, actor_of("minzheng"), csv_bytes(GOOD_ROWS))
    assert report.failed and "超过上限" in report.message


@pytest.mark.parametrize("username", ["xinmin", "lingdao", "fenghuang", "admin"])
def test_only_the_county_imports(engine, actor_of, county, username):
    before = counts(engine)
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        import_department_file(s, actor=actor_of(username), source_code=SOURCE, period=PERIOD, filename="a.csv",
                               data=csv_bytes(GOOD_ROWS), today=TODAY)
    with pytest.raises(PermissionDenied), Session(engine) as s:
        department_import.batches(s, actor=actor_of(username))
    assert counts(engine) == before


def test_a_county_role_without_an_area_is_refused(engine, actor_of, county):
    nowhere = dataclasses.replace(actor_of("minzheng"), area_code=None)
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        import_department_file(s, actor=nowhere, source_code=SOURCE, period=PERIOD, filename="a.csv",
                               data=csv_bytes(GOOD_ROWS), today=TODAY)
    with pytest.raises(PermissionDenied), Session(engine) as s:
        department_import.active_sources(s, actor=nowhere)


# --- registry changes -----------------------------------------------------------------------------

def registry_warnings(engine, household_id) -> list[tuple[str, str]]:
    return [(w.rule_code, w.source) for w in warnings_of(engine, household_id)]


def test_a_working_member_becoming_disabled_warns_once(engine, actor_of, county):
    xinmin = actor_of("xinmin")
    with Session(engine) as s:
        head = s.exec(select(households.Member).where(households.Member.id_number == OTHER_HEAD)).one()
    for _ in range(2):
        with unit_of_work(engine) as s:
            households.update_member(s, actor=xinmin, member_id=head.id,
                                     changes={"disability_type": "physical", "disability_grade": "1"})
    [warning] = warnings_of(engine, county["other"])
    assert (warning.rule_code, warning.source, warning.member_id) == ("working_member_disabled", "registry", head.id)
    assert "李其他" in warning.evidence and warning.batch_id is None
    # another change of the same member's disability is not a new "became disabled"
    with unit_of_work(engine) as s:
        households.update_member(s, actor=xinmin, member_id=head.id, changes={"disability_grade": "2"})
    assert len(warnings_of(engine, county["other"])) == 1


def test_a_member_leaving_by_death_warns(engine, actor_of, county):
    xinmin = actor_of("xinmin")
    with unit_of_work(engine) as s:
        wife = households.add_member(s, actor=xinmin, household_id=county["other"],
                                     member={"id_number": make_id(birth=date(1975, 2, 3), seq=502), "name": "赵妻",
                                             "relation": "spouse"})
        child = households.add_member(s, actor=xinmin, household_id=county["other"],
                                      member={"id_number": make_id(birth=date(2016, 2, 3), seq=504), "name": "李小",
                                              "relation": "child"})
    assert warnings_of(engine, county["other"]) == []  # adding members raises nothing
    with unit_of_work(engine) as s:
        households.remove_member(s, actor=xinmin, member_id=child, left_on=date(2026, 11, 2), reason="迁出读书")
    assert warnings_of(engine, county["other"]) == []
    with unit_of_work(engine) as s:
        households.remove_member(s, actor=xinmin, member_id=wife, left_on=date(2026, 11, 3), reason="因病死亡")
    assert registry_warnings(engine, county["other"]) == [("working_member_died", "registry")]


def test_income_drop_and_unsafe_housing_warn(engine, actor_of, county):
    xinmin = actor_of("xinmin")
    today = households.today_in_china()

    def record(**values):
        with unit_of_work(engine) as s:
            household_records.record_economic_status(s, actor=xinmin, household_id=county["other"], values=values,
                                                     recorded_on=today)

    record(wage_income="12000", housing_safety="C")   # the first record: how it was found, no warning
    assert warnings_of(engine, county["other"]) == []
    record(wage_income="12000", housing_safety="B")
    record(wage_income="7200", housing_safety="B")    # per-capita income down 40 %
    assert registry_warnings(engine, county["other"]) == [("income_drop", "registry")]
    assert "40.00%" in warnings_of(engine, county["other"])[0].evidence
    record(wage_income="7200", housing_safety="C")
    record(wage_income="7200", housing_safety="D")    # still unsafe: not a new "became"
    assert registry_warnings(engine, county["other"]) == [("income_drop", "registry"), ("housing_unsafe", "registry")]
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(EconomicStatus)).one() == 5


def test_a_registry_change_goes_through_when_the_warning_fails(engine, actor_of, county, monkeypatch):
    from lowincome_portal.services import monitoring_scan

    def broken(*args, **kwargs):
        raise RuntimeError("rules table unreadable")

    monkeypatch.setattr(monitoring_scan.monitoring_rules, "active_rules", broken)
    with Session(engine) as s:
        head = s.exec(select(households.Member).where(households.Member.id_number == OTHER_HEAD)).one()
    with unit_of_work(engine) as s:
        households.update_member(s, actor=actor_of("xinmin"), member_id=head.id,
                                 changes={"disability_type": "physical", "disability_grade": "4"})
    with Session(engine) as s:
        assert s.get(households.Member, head.id).disability_type == "physical"
    assert warnings_of(engine, county["other"]) == []


def test_due_date_counts_working_days(engine, actor_of, county):
    report = run(engine, actor_of("minzheng"), csv_bytes(GOOD_ROWS))
    [warning] = warnings_of(engine, county["dibao"])
    assert report.warnings_raised == 1
    # 2026-11-27 is a Friday: three working days later is Wednesday 2 December
    assert warning.due_on == TODAY + timedelta(days=5)


def test_cells_as_departments_write_them(engine, actor_of, county):
    """A BOM, spaces around headers, an apostrophe before the ID, money with thousands separators."""
    lines = ["\ufeff" + ",".join(f" {h} " for h in HEADERS),
             ",".join([f"'{DIBAO_HEAD}", "王低保", "2026年11月", '"5,000.00"', "", "", "正常"]),
             ",".join([OTHER_HEAD[:6] + " " + OTHER_HEAD[6:], "李其他", "202611", "300元", "", "", "正常"])]
    report = run(engine, actor_of("minzheng"), ("\n".join(lines) + "\n").encode("utf-8"))
    assert not report.failed, report.message
    assert (report.rows_read, report.matched, report.invalid, report.warnings_raised) == (2, 2, 0, 1), report.errors
