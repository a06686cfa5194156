"""Where the portal runs and with which secrets: read from the environment only, never from the
repository. No Reflex import, so the start script and the tests can check a configuration
before anything starts.

`PORTAL_DEPLOYMENT=production` (set by scripts/prod.sh) makes the checks strict: PostgreSQL,
Redis for the state of several workers, and a secret key of the operator's own. Anything else
is a development or demo machine, where a key is made once per checkout under data/.
"""

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

PRODUCTION = "production"
SECRET_KEY_VAR = "PORTAL_SECRET_KEY"
MIN_SECRET_CHARS = 32
# The key a development checkout makes for itself; never used in production.
DEV_KEY_FILE = Path(__file__).resolve().parents[1] / "data" / "dev_secret_key"
# Values people paste from examples: refused as if missing.
_PLACEHOLDERS = {"changeme", "change-me", "secret", "your-secret-key", "please-change-me"}


class ConfigurationError(RuntimeError):
    """The environment cannot run the portal; the message says what to set, in Chinese."""


def is_production(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("PORTAL_DEPLOYMENT", "").strip().lower() == PRODUCTION


def production_problems(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Every reason this environment cannot start in production, each a sentence saying what to set."""
    problems = []
    key = environ.get(SECRET_KEY_VAR, "")
    if not key:
        problems.append(f"未设置密钥 {SECRET_KEY_VAR}：生产环境必须提供至少 {MIN_SECRET_CHARS} 个字符的随机密钥，"
                        "例如 export PORTAL_SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')\"")
    elif len(key) < MIN_SECRET_CHARS or key.strip().lower() in _PLACEHOLDERS:
        problems.append(f"密钥 {SECRET_KEY_VAR} 太短或是示例值：请使用至少 {MIN_SECRET_CHARS} 个字符的随机密钥")
    url = environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        problems.append("未设置 DATABASE_URL 或不是 PostgreSQL：生产环境请使用 "
                        "postgresql+psycopg://用户@主机:5432/数据库")
    if not environ.get("REFLEX_REDIS_URL", "").startswith(("redis://", "rediss://", "unix://")):
        problems.append("未设置 REFLEX_REDIS_URL：多个后端进程共享会话状态需要 Redis，例如 redis://127.0.0.1:6379/0")
    return problems


def require_production_ready(environ: Mapping[str, str] = os.environ) -> None:
    """Stop start-up with the reasons when production settings are missing."""
    if is_production(environ):
        problems = production_problems(environ)
        if problems:
            raise ConfigurationError("生产环境配置不完整，门户未启动：\n" + "\n".join(f"- {p}" for p in problems))


def secret_key(environ: Mapping[str, str] = os.environ) -> bytes:
    """The key that seals session tokens and audit entries.

    Production: PORTAL_SECRET_KEY or an error. Elsewhere: PORTAL_SECRET_KEY if set, else a
    random key made once for this checkout (so no key ever sits in the repository, and every
    process of one checkout - the tests' and the portal's - agrees on it).
    """
    if is_production(environ):
        require_production_ready(environ)
    key = environ.get(SECRET_KEY_VAR, "")
    return key.encode("utf-8") if key else _dev_key()


_dev_cache: dict[Path, bytes] = {}


def _dev_key() -> bytes:
    if DEV_KEY_FILE not in _dev_cache:
        _dev_cache[DEV_KEY_FILE] = _read_or_make_dev_key()
    return _dev_cache[DEV_KEY_FILE]


def _read_or_make_dev_key() -> bytes:
    try:
        key = DEV_KEY_FILE.read_bytes().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    DEV_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when two processes start together, one writes and the other reads its key.
        fd = os.open(DEV_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_when_written()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
    return DEV_KEY_FILE.read_bytes().strip()


def _read_when_written() -> bytes:
    import time

    for _ in range(50):
        key = DEV_KEY_FILE.read_bytes().strip()
        if key:
            return key
        time.sleep(0.02)
    raise ConfigurationError(f"开发密钥文件 {DEV_KEY_FILE} 为空：请删除后重试")
