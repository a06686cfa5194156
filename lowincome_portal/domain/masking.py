"""How personal numbers look to someone who may not see them whole.

The shapes follow the county's notices: `500231********1234` for an ID number.
"""


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
