"""`lowincome-portal assess FILE.json`: one JSON object on stdout, or a Chinese message naming
the field on stderr and exit code 2."""

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from lowincome_portal.cli import main as cli
from lowincome_portal.db.tables import PolicyParameter
from lowincome_portal.db.uow import unit_of_work

INPUT = {
    "as_of": "2025-09-01",
    "members": [
        {"id_number": "11010519491231002X", "name": "王秀英", "labour_capacity": "none",
         "disability_grade": None, "in_school": False, "has_supporter": False},
        {"id_number": "110105198005010013", "name": "李建国", "labour_capacity": "partial",
         "disability_grade": 4, "in_school": False, "has_supporter": False},
    ],
    "income_12m": {"wage": 9000, "business": 0, "property": 0, "transfer": 1200},
    "employment_costs_12m": 600,
    "rigid_expenditure_12m": {"medical": 3000, "education": 0, "disability_care": 800},
    "assets": {"deposits": 5000, "vehicles": 0, "extra_houses": 0, "businesses": 0},
}


def write(tmp_path, data, name="household.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def no_database(tmp_path, monkeypatch):
    """DATABASE_URL names a database that does not exist: the catalogue defaults apply."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'absent.db'}")
    monkeypatch.delenv("REFLEX_DB_URL", raising=False)


def run(capsys, path):
    code = cli(["assess", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def test_assess_prints_one_json_object(tmp_path, capsys, no_database):
    code, out, err = run(capsys, write(tmp_path, INPUT))
    assert code == 0, err
    result = json.loads(out)
    # (9000 - 600 + 1200) / 12 / 2 = 400.00 a month, below the default 630 standard.
    assert result["per_capita_monthly_income"] == "400.00"
    assert result["rigid_ratio"] == "0.3958"
    assert result["qualifies"] == ["dibao", "monitoring"]
    assert result["recommended"] == "dibao"
    assert "家庭月人均收入 400.00 元，低于低保标准 630.00 元/人·月，且财产状况符合规定，符合低保条件" in result["reasons"]
    assert result["as_of"] == "2025-09-01"
    assert result["policy"]["dibao_standard_monthly"] == "630.00"
    assert set(result["policy_source"].values()) == {"catalogue_default"}
    assert "不存在" in result["policy_note"]
    assert "成员李建国（45 周岁）" in out  # ensure_ascii=False: Chinese is printed as is


def test_overrides_win(tmp_path, capsys, no_database):
    data = dict(INPUT, policy={"dibao_standard_monthly": "380", "edge_multiplier": 2})
    code, out, _ = run(capsys, write(tmp_path, data))
    result = json.loads(out)
    assert code == 0 and result["recommended"] == "dibao_edge"
    assert result["policy"]["dibao_standard_monthly"] == "380.00"
    assert result["policy_source"]["dibao_standard_monthly"] == "input"
    assert result["policy_source"]["rigid_share"] == "catalogue_default"


def test_values_in_force_in_the_database_on_as_of(tmp_path, capsys, db_url, engine):
    # db_url sets DATABASE_URL to a migrated demo database (defaults: 630 from 2025-07-01).
    with unit_of_work(engine) as s:
        s.add(PolicyParameter(code="dibao_standard_monthly", value=350, effective_from=date(2026, 1, 1)))
    code, out, err = run(capsys, write(tmp_path, INPUT))
    result = json.loads(out)
    assert code == 0, err
    assert result["policy"]["dibao_standard_monthly"] == "630.00"
    assert result["policy_source"]["dibao_standard_monthly"] == "database"
    assert result["recommended"] == "dibao"
    later = dict(INPUT, as_of="2026-02-01")
    result = json.loads(run(capsys, write(tmp_path, later))[1])
    assert result["policy"]["dibao_standard_monthly"] == "350.00"
    assert result["recommended"] == "dibao_edge"
    # Before the county's first value: the catalogue default, and the note says so.
    early = json.loads(run(capsys, write(tmp_path, dict(INPUT, as_of="2020-03-01")))[1])
    assert early["policy_source"]["dibao_standard_monthly"] == "catalogue_default"
    assert "系统默认值" in early["policy_note"]


@pytest.mark.parametrize("content, expected", [
    ({**INPUT, "members": [dict(INPUT["members"][0]), dict(INPUT["members"][1], id_number="110105198005010014")]},
     "members[1].id_number：身份证号“110105198005010014”校验码错误"),
    ({**INPUT, "income_12m": dict(INPUT["income_12m"], wage=-5)}, "income_12m.wage：工资性收入不能为负数"),
    ({k: v for k, v in INPUT.items() if k != "assets"}, "assets：缺少此项"),
    ({**INPUT, "as_of": "2025-13-01"}, "as_of：核算日期“2025-13-01”不是有效日期"),
    ({**INPUT, "members": [dict(INPUT["members"][1], labour_capacity="most")]},
     "members[0].labour_capacity：劳动能力“most”不在可选范围内"),
    ("{not json", "不是有效的 JSON"),
])
def test_input_errors_exit_2_and_name_the_field(tmp_path, capsys, no_database, content, expected):
    code, out, err = run(capsys, write(tmp_path, content))
    assert code == 2
    assert out == ""
    assert expected in err


def test_missing_file_exits_2(tmp_path, capsys, no_database):
    code, out, err = run(capsys, tmp_path / "nope.json")
    assert code == 2 and out == "" and "无法读取文件" in err


def test_installed_console_script(tmp_path):
    script = shutil.which("lowincome-portal", path=str(Path(sys.executable).parent)) or shutil.which("lowincome-portal")
    assert script, "the console script is not installed (pip install -e .)"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'absent.db'}")
    env.pop("REFLEX_DB_URL", None)
    done = subprocess.run([script, "assess", str(write(tmp_path, INPUT))], capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["recommended"] == "dibao"
    bad = write(tmp_path, {**INPUT, "employment_costs_12m": "-1"}, "bad.json")
    done = subprocess.run([script, "assess", str(bad)], capture_output=True, text=True, encoding="utf-8",
                          env=env, timeout=120)
    assert done.returncode == 2
    assert "employment_costs_12m" in done.stderr and done.stdout == ""


def test_the_documented_example_is_what_the_command_prints(tmp_path, capsys, no_database):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "assess.md").read_text("utf-8")
    blocks = [b.split("```", 1)[0] for b in doc.split("```json\n")[1:]]
    example_input, example_output = blocks[0], json.loads(blocks[1])
    code, out, err = run(capsys, write(tmp_path, example_input))
    assert code == 0, err
    result = json.loads(out)
    # The note names the machine's database path; everything else must match the page.
    result.pop("policy_note"), example_output.pop("policy_note")
    assert result == example_output
