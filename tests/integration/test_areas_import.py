"""Areas load from CSV all-or-nothing, with a row-by-row error report."""

from sqlmodel import Session, func, select

from lowincome_portal.cli import main as cli
from lowincome_portal.db.tables import Area
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.services.areas import import_areas


def area_count(engine):
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Area)).one()


def test_valid_file_adds_and_renames(engine):
    text = ("区划代码,名称,上级代码\n"
            "500231100202,新村,500231100000\n"
            "500231100200,凤凰村（更名）,500231100000\n")
    before = area_count(engine)
    with unit_of_work(engine) as s:
        report = import_areas(s, actor=None, text=text)
    assert report.ok and (report.created, report.updated) == (1, 1)
    assert area_count(engine) == before + 1
    with Session(engine) as s:
        assert s.get(Area, "500231100200").name == "凤凰村（更名）"
        assert s.get(Area, "500231100202").level == "village"


def test_any_error_changes_nothing_and_every_bad_row_is_reported(engine):
    text = ("区划代码,名称,上级代码\n"
            "500231100203,好村,500231100000\n"     # fine on its own
            "50023110020,短码村,500231100000\n"     # 11 digits
            "500231100204,,500231100000\n"          # no name
            "500231100203,重复村,500231100000\n"    # duplicate inside the file
            "500231888200,孤村,500231888000\n"      # parent does not exist
            "500231100205,错上级,500231101000\n")   # parent does not match the code
    before = area_count(engine)
    with unit_of_work(engine) as s:
        report = import_areas(s, actor=None, text=text)
    lines = sorted({line for line, _, _ in report.errors})
    assert lines == [3, 4, 5, 7]
    assert area_count(engine) == before
    # The orphan is found once the file-level errors are fixed.
    with unit_of_work(engine) as s:
        report = import_areas(s, actor=None, text="区划代码,名称,上级代码\n500231888200,孤村,\n")
    assert [(line, col) for line, col, _ in report.errors] == [(2, "上级代码")]
    assert area_count(engine) == before


def test_missing_columns(engine):
    with unit_of_work(engine) as s:
        report = import_areas(s, actor=None, text="代码,名字\n1,2\n")
    assert report.errors == [(1, "", "缺少列：区划代码、名称")]


def test_cli_load_areas_exit_codes(engine, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text("区划代码,名称,上级代码\n500231100206,云台村,500231100000\n", encoding="utf-8")
    assert cli(["load-areas", str(good)]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("区划代码,名称,上级代码\nabc,坏村,\n", encoding="utf-8")
    assert cli(["load-areas", str(bad)]) == 2
    assert "第 2 行" in capsys.readouterr().err
