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


# A county's areas file is a few hundred lines; a file this big is the wrong file.
MAX_AREAS_FILE_BYTES = 5 * 1024 * 1024


def _load_areas(args) -> int:
    from .domain.errors import PortalError
    from .services.areas import import_areas
    from .services.spreadsheets import decode_text, size_text

    path = Path(args.file)
    try:
        size = path.stat().st_size
        if size > MAX_AREAS_FILE_BYTES:
            print(f"文件 {path} 有 {size_text(size)}，超过区划文件上限 {size_text(MAX_AREAS_FILE_BYTES)}，"
                  "请确认选对了文件", file=sys.stderr)
            return 2
        # the imports' reading: UTF-8 or GB18030, and a binary file or workbook renamed .csv refused
        text = decode_text(path.name, path.read_bytes())
    except OSError as exc:
        print(f"无法读取文件 {path}：{exc.strerror or exc}", file=sys.stderr)
        return 2
    except PortalError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    try:
        with unit_of_work() as session:
            report = import_areas(session, actor=None, text=text)
            if not report.ok:
                session.rollback()
    except PortalError as exc:
        print(f"导入失败，未做任何修改：{exc.message}", file=sys.stderr)
        return 2
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


def _check_config(_args) -> int:
    """Exit 1 with every missing production setting listed (scripts/prod.sh runs this first)."""
    from .deployment import production_problems

    problems = production_problems()
    if problems:
        print("生产环境配置不完整，门户未启动：", file=sys.stderr)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        return 1
    print("生产环境配置完整：PostgreSQL、Redis、密钥均已设置")
    return 0


def _verify_audit(_args) -> int:
    """Check every audit entry's seal; exit 1 if any entry was altered or forged."""
    from .services import audit_seal

    with unit_of_work() as session:
        report = audit_seal.verify(session)
    print(f"已核验审计记录 {report.checked} 条，其中启用防篡改签名前的记录 {report.unsealed} 条")
    if report.broken:
        shown = "、".join(str(i) for i in report.broken[:50])
        print(f"发现 {len(report.broken)} 条记录与签名不符（被改动或伪造），编号：{shown}", file=sys.stderr)
        return 1
    print("全部签名一致，审计记录未被改动")
    return 0


def _backup(args) -> int:
    """Back up DATABASE_URL's database (docs/operations.md); exit 2 when refused."""
    from .ops.commands import run_backup

    return run_backup(args.out)


def _restore(args) -> int:
    """Restore a backup over DATABASE_URL's database after a confirmation; exit 2 when refused."""
    from .ops.commands import run_restore

    return run_restore(args.file, yes=args.yes)


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
    import time

    from .demo.synthetic import SCALES, SyntheticDataExists, generate_county
    from .demo.synthetic_history import add_history, registered_before
    from .services import monitoring_rules, parameters
    from .services.households import today_in_china

    started = time.perf_counter()
    migrations.upgrade()
    with unit_of_work() as session:
        parameters.seed_defaults(session)
        monitoring_rules.seed_defaults(session)

    def progress(done: int, total: int) -> None:
        print(f"\r生成中：{done}/{total} 户", end="", file=sys.stderr, flush=True)

    scale = SCALES[args.scale]
    households = scale["households"] if args.households is None else args.households
    today = today_in_china()
    try:
        summary = generate_county(get_engine(), households=households, seed=args.seed, progress=progress,
                                  replace=args.replace, counties=scale["counties"], today=today,
                                  registered_at=registered_before(today) if args.history else None)
    except SyntheticDataExists as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    from .domain.registry import TAG_LABELS

    tags = "，".join(f"{TAG_LABELS.get(k, k)} {v} 户" for k, v in summary["tags"].items())
    removed = f"（先删除了 {summary['removed_households']} 户旧合成数据）" if summary["removed_households"] else ""
    print(f"合成数据已生成{removed}：{summary['households']} 户 {summary['members']} 人，"
          f"{summary['counties']} 个县 {summary['villages']} 个村（社区），"
          f"在册标识 {tags}；种子 {summary['seed']}，用时 {summary['seconds']} 秒")
    if args.history:
        print("生成近 13 个月业务记录……", file=sys.stderr, flush=True)
        made = add_history(get_engine(), seed=args.seed, today=today)
        print(f"业务记录：救助申请 {made['applications']} 件，预警 {made['warnings']} 条，"
              f"转介 {made['referrals']} 件，联席会议 {made['meetings']} 次，走访 {made['visits']} 次"
              f"（自 {made['from']} 起），用时 {made['seconds']} 秒")
    print(f"合计用时 {time.perf_counter() - started:.1f} 秒")
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
    sub.add_parser("check-config", help="check the production settings (PORTAL_SECRET_KEY, DATABASE_URL, "
                   "REFLEX_REDIS_URL); exit 1 with what is missing").set_defaults(run=_check_config)
    sub.add_parser("verify-audit", help="check every audit entry's seal; exit 1 if any was altered"
                   ).set_defaults(run=_verify_audit)
    backup = sub.add_parser("backup", help="back up the database (SQLite online backup or pg_dump) with a "
                            ".json sidecar; default file backups/portal-YYYYmmdd-HHMMSS.sqlite/.dump")
    backup.add_argument("--out", metavar="FILE", help="where to write the backup (must not exist yet)")
    backup.set_defaults(run=_backup)
    restore = sub.add_parser("restore", help="replace the database by a backup FILE (asks first; "
                             "backs the current database up before)")
    restore.add_argument("file")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(run=_restore)
    load = sub.add_parser("load-areas", help="load areas from a CSV (区划代码,名称,上级代码)")
    load.add_argument("file")
    load.set_defaults(run=_load_areas)
    assess = sub.add_parser("assess", help="means test of one household described in a JSON file (docs/assess.md)")
    assess.add_argument("file")
    assess.set_defaults(run=_assess)
    county = sub.add_parser("generate-county", help="write a synthetic county (合成数据) for demos and benchmarks")
    county.add_argument("--scale", choices=("county", "city"), default="county",
                        help="county: 50000 households in the demo county; city: 500000 over the demo county "
                        "and 9 synthetic counties (docs/synthetic.md)")
    county.add_argument("--households", type=int, default=None, help="number of households (default: the scale's)")
    county.add_argument("--history", action=argparse.BooleanOptionalAction, default=True,
                        help="also write 13 months of applications, warnings, referrals, meetings and visits "
                        "(default: yes)")
    county.add_argument("--seed", type=int, default=20251128, help="random seed (same seed, same data)")
    county.add_argument("--replace", action="store_true", help="delete earlier synthetic households first")
    county.set_defaults(run=_generate_county)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
