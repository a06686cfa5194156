"""The registry import's columns: header matching by Chinese name."""

from lowincome_portal.domain.import_columns import (
    COLUMNS,
    HEADERS,
    column_for_message,
    match_headers,
    normalise_header,
)


def test_template_headers_match_in_order():
    match = match_headers(list(HEADERS))
    assert match.ok
    assert match.keys == [c.key for c in COLUMNS]


def test_spaces_and_bracket_widths_do_not_matter():
    assert normalise_header(" 乡镇（街道） ") == normalise_header("乡镇(街道)") == normalise_header("乡 镇【街道】")
    match = match_headers(["乡镇(街道)", " 村（社区）", "户主身份证号\u3000", "姓 名", "身份证号", "与户主关系*"])
    assert match.ok, (match.missing, match.unknown)
    assert match.keys == ["township", "village", "head_id_number", "name", "id_number", "relation"]


def test_aliases_and_any_order():
    match = match_headers(["公民身份号码", "关系", "成员姓名", "户主身份证号码", "村", "乡镇"])
    assert match.ok
    assert match.position() == {"id_number": 0, "relation": 1, "name": 2, "head_id_number": 3,
                                "village": 4, "township": 5}


def test_missing_required_and_unknown_columns_are_named():
    match = match_headers(["乡镇（街道）", "村（社区）", "姓名", "身份证号", "备注", "家庭人口数"])
    assert match.missing == ["户主身份证号", "与户主关系"]
    assert match.unknown == ["备注", "家庭人口数"]
    assert not match.ok


def test_optional_columns_may_be_absent_blank_headers_ignored_repeats_reported():
    match = match_headers(["乡镇（街道）", "村（社区）", "户主身份证号", "姓名", "身份证号", "与户主关系",
                           "", "姓名 "])
    assert match.missing == [] and match.unknown == []
    assert match.repeated == ["姓名"]
    assert match.keys[6] is None and match.keys[7] is None
    assert match.position()["name"] == 3


def test_column_for_message():
    assert column_for_message("性别“女”与身份证号不符（号码显示为男）") == "性别"
    assert column_for_message("户主身份证号不能为空") == "户主身份证号"
    assert column_for_message("身份证号“1”应为 18 位（现为 1 位）") == "身份证号"
    assert column_for_message("残疾类别与残疾等级应同时填写或同时留空") == "残疾类别"
    assert column_for_message("something else") == ""


def test_every_column_has_a_rule_and_choices_are_labels():
    for column in COLUMNS:
        assert column.note and column.header
    relation = next(c for c in COLUMNS if c.key == "relation")
    assert "户主" in relation.choices and "head" not in relation.choices
