"""Valid resident ID numbers for tests: make_id(birth=date(1980, 1, 1), seq=11) -> 18 digits.

The 17th digit (the last of `seq`) is odd for men and even for women.
"""

from datetime import date

from stdnum.cn import ric


def make_id(area: str = "500231", birth: date = date(1980, 1, 1), seq: int = 11) -> str:
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    assert len(body) == 17, body
    return body + ric.calc_check_digit(body + "0")  # stdnum skips the last character


def with_bad_checksum(number: str) -> str:
    """The same number with a wrong last character."""
    good = number[-1]
    wrong = "0" if good != "0" else "1"
    return number[:-1] + wrong
