"""The command line: migrate, seed-demo, demo-logins, load-areas, assess (means test of a JSON file), generate-county."""

import argparse
import sys
from pathlib import Path

from .db import migrations
from .db.uow import unit_of_work


def _migrate(_args) -> int:
    from .services import monitoring_rules, parameters

    migrations.upgrade()
    with unit_of_work() as session:
        parameters.seed_defaults(session)
        monitoring_rules.seed_defaults(session)
    print("数据库已迁移到最新版本")
    return 0


def _seed_demo(_args) -> int:
    from .demo.seed import seed_demo

    with unit_of_work() as session:
        seed_demo(session)
    print("演示数据（垫江县示例）已载入")
    return 0


def _demo_logins(_args) -> int:
    from .demo.seed import logins_text

    print(logins_text())
    return 0


def _load_areas(args) -> int:
    from .services.areas import import_areas

    path = Path(args.file)
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"无法读取文件 {path}：{exc}", file=sys.stderr)
        return 2
    with unit_of_work() as session:
        report = import_areas(session, actor=None, text=text)
        if not report.ok:
            session.rollback()
    if not report.ok:
        print("导入失败，未做任何修改：", file=sys.stderr)
        for line, column, reason in report.errors:
            print(f"  第 {line} 行 {column}：{reason}", file=sys.stderr)
        return 2
    print(f"区划导入完成：新增 {report.created}，更名 {report.updated}")
    return 0


def _daily(_args) -> int:
    from .chores import run_once

    done = run_once()
    print(f"已自动终止到期未续期的认定 {done['ended']} 项")
    print(f"已逾期升级监测预警 {done['escalated']} 条")
    return 0


def _assess(args) -> int:
    """The means test on a JSON file; see docs/assess.md. Exit 2 on any input error."""
    import json

    from .domain import means_test
    from .domain.errors import ValidationError
    from .domain.means_test_input import choose_policy, parse_text, policy_note
    from .services.means_test import database_policy_values

    path = Path(args.file)
    try:
        request = parse_text(path.read_text("utf-8-sig"))
        stored, why_not = database_policy_values(request.facts.as_of)
        policy, sources = choose_policy(request.policy_overrides, stored)
        result = means_test.summary(means_test.assess(request.facts, policy), policy)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"无法读取文件 {path}：{exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"输入有误（{path}）：{exc.message}", file=sys.stderr)
        return 2
    result["policy_source"] = sources
    result["policy_note"] = policy_note(sources, request.facts.as_of, why_not)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def _generate_county(args) -> int:
    """A synthetic county (demo/synthetic.py) in DATABASE_URL; migrates first."""
    from .db.engine import get_engine
    from .demo.synthetic import SyntheticDataExists, generate_county
    from .services import monitoring_rules, parameters

    migrations.upgrade()
    with unit_of_work() as session:
        parameters.seed_defaults(session)
        monitoring_rules.seed_defaults(session)

    def progress(done: int, total: int) -> None:
        print(f"\r生成中：{done}/{total} 户", end="", file=sys.stderr, flush=True)

    try:
        summary = generate_county(get_engine(), households=args.households, seed=args.seed,
                                  progress=progress, replace=args.replace)
    except SyntheticDataExists as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    from .domain.registry import TAG_LABELS

    tags = "，".join(f"{TAG_LABELS.get(k, k)} {v} 户" for k, v in summary["tags"].items())
    removed = f"（先删除了 {summary['removed_households']} 户旧合成数据）" if summary["removed_households"] else ""
    print(f"合成数据已生成{removed}：{summary['households']} 户 {summary['members']} 人，"
          f"在册标识 {tags}；种子 {summary['seed']}，用时 {summary['seconds']} 秒")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lowincome-portal", description="农村低收入人口救助帮扶平台")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the database migrations").set_defaults(run=_migrate)
    sub.add_parser("seed-demo", help="load the demo county and demo logins").set_defaults(run=_seed_demo)
    sub.add_parser("demo-logins", help="print the demo logins").set_defaults(run=_demo_logins)
    sub.add_parser("daily", help="end recognitions whose time is up and escalate overdue warnings "
                   "(the backend also does it hourly)"
                   ).set_defaults(run=_daily)
    load = sub.add_parser("load-areas", help="load areas from a CSV (区划代码,名称,上级代码)")
    load.add_argument("file")
    load.set_defaults(run=_load_areas)
    assess = sub.add_parser("assess", help="means test of one household described in a JSON file (docs/assess.md)")
    assess.add_argument("file")
    assess.set_defaults(run=_assess)
    county = sub.add_parser("generate-county", help="write a synthetic county (合成数据) for demos and benchmarks")
    county.add_argument("--households", type=int, default=50_000, help="number of households (default 50000)")
    county.add_argument("--seed", type=int, default=20251128, help="random seed (same seed, same data)")
    county.add_argument("--replace", action="store_true", help="delete earlier synthetic households first")
    county.set_defaults(run=_generate_county)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
