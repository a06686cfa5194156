"""How personal numbers look to someone who may not see them whole.

The shapes follow the county's notices: `500231********1234` for an ID number.
"""

import re


def mask_id_number(value: str | None) -> str:
    v = (value or "").strip()
    if len(v) < 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_phone(value: str | None) -> str:
    v = (value or "").strip()
    if len(v) < 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_bank_account(value: str | None) -> str:
    v = (value or "").replace(" ", "")
    if len(v) <= 4:
        return "*" * len(v)
    return "**** " * 3 + v[-4:]


def mask_name(value: str | None) -> str:
    """A name with all but the surname hidden (partners before claiming, notices)."""
    v = (value or "").strip()
    return v[:1] + "*" * (len(v) - 1) if v else ""


MASKERS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "bank_account": mask_bank_account,
    "name": mask_name,
}


_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{11,}[Xx]?(?![0-9A-Za-z])")


def mask_numbers_in(text: object) -> str:
    """Free text with personal numbers masked: an 18/15-character ID, an 11-digit mobile
    (1xx), any other run of 12+ digits as a bank account. For text typed by staff that goes
    where those numbers may not (notices, minutes, partners' pool)."""
    def mask(match: re.Match) -> str:
        value = match.group(0)
        if len(value) in (15, 18):
            return mask_id_number(value)
        if len(value) == 11 and value.isdigit() and value.startswith("1"):
            return mask_phone(value)
        return mask_bank_account(value) if len(value) >= 12 else value
    return _LONG_NUMBER.sub(mask, "" if text is None else str(text))


def mask_name_in(text: str, name: str) -> str:
    """`text` with every mention of `name` masked as mask_name does (张三丰 -> 张**)."""
    return text.replace(name, mask_name(name)) if name else text
