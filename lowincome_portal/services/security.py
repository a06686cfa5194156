"""Password hashing (argon2) and session tokens. Tokens are random; only their HMAC under the
deployment's secret key is stored, so a copy of the database cannot be used to sign in nor a
stored value matched to a token without the key."""

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..deployment import secret_key

# Argon2id with OWASP's recommended parameters (Password Storage Cheat Sheet: 19 MiB, two
# passes, one lane): about 25 ms of one core per sign-in here. argon2-cffi's default (RFC 9106
# low-memory: 64 MiB, three passes, four lanes) took about 195 ms of CPU on this 2-core server,
# and 100 staff signing in at the start of the day then held every worker for seconds.
# Online guessing is stopped by the lockout, not by the hash. Stored hashes of other
# parameters still verify and are rehashed at the user's next sign-in (auth.login).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hmac.new(secret_key(), token.encode("utf-8"), hashlib.sha256).hexdigest()


def temporary_password() -> str:
    """A one-time password an admin hands over; letters and digits, easy to read aloud."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
    digits = "23456789"
    body = "".join(secrets.choice(alphabet) for _ in range(6))
    return body + "".join(secrets.choice(digits) for _ in range(4))
