"""The 18-digit resident identity number (居民身份证号码): checksum, birth date and sex.

python-stdnum's cn.ric does the checksum (and maps full-width digits to ASCII); this
module reads the birth date and sex and adds the county's rules (no future birth dates)
and Chinese messages naming what is wrong.

The region code (digits 1-6) is deliberately not looked up: stdnum's region table lacks
some current codes (垫江县 500231 among them), and a person keeps the code of the place
where the number was first issued even after that area was renamed or abolished.
"""

from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric

from .errors import ValidationError

MALE = "male"
FEMALE = "female"
SEX_LABELS = {MALE: "男", FEMALE: "女"}


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    sex: str  # MALE | FEMALE

    def age_on(self, on: date) -> int:
        return on.year - self.birth_date.year - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))


def parse_resident_id(text: str | None, today: date | None = None, field: str = "身份证号") -> ResidentId:
    """Validate and decode an ID number, or raise ValidationError naming the field."""
    raw = (text or "").strip().replace(" ", "").upper()
    if not raw:
        raise ValidationError(f"{field}不能为空")
    if len(raw) != 18:
        raise ValidationError(f"{field}“{raw}”应为 18 位（现为 {len(raw)} 位）")
    # stdnum's compact() only maps look-alikes (full-width digits and the like) to ASCII,
    # character by character and slowly; plain ASCII, as nearly every number is, is
    # already compact. get_birth_date() would compact again, so the date is read here.
    number = raw if raw.isascii() else ric.compact(raw)
    if not (len(number) == 18 and number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
        raise ValidationError(f"{field}“{raw}”格式不正确（前 17 位应为数字，末位为数字或 X）")
    if ric.calc_check_digit(number) != number[17]:
        raise ValidationError(f"{field}“{raw}”校验码错误，请核对后重新录入")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(f"{field}“{raw}”中的出生日期无效") from None
    if birth > (today or date.today()):
        raise ValidationError(f"{field}“{raw}”中的出生日期 {birth.isoformat()} 晚于今天")
    # The 17th digit is the sequence code: odd for men, even for women.
    sex = MALE if int(number[16]) % 2 == 1 else FEMALE
    return ResidentId(number=number, birth_date=birth, sex=sex)


def is_valid_resident_id(text: str | None, today: date | None = None) -> bool:
    try:
        parse_resident_id(text, today=today)
    except ValidationError:
        return False
    return True


def check_typed_facts(resident: ResidentId, sex: str | None, birth_date: date | None,
                      field: str = "身份证号") -> None:
    """Refuse a typed sex or birth date that contradicts the ID number."""
    if sex and sex != resident.sex:
        raise ValidationError(
            f"性别“{SEX_LABELS.get(sex, sex)}”与{field}不符（号码显示为{SEX_LABELS[resident.sex]}）")
    if birth_date and birth_date != resident.birth_date:
        raise ValidationError(
            f"出生日期 {birth_date.isoformat()} 与{field}不符（号码显示为 {resident.birth_date.isoformat()}）")
