"""The registry import's columns, as data: header, field, whether required, the rule.

One row of the file is one member; the members of one household share the same
户主身份证号. Household columns (area, address, phone, bank) may be filled on one row of
the household only; where several rows fill them they must agree.

The template, the instructions sheet and the header matching all read this one list, so
a new column is one entry here (and one line where the import uses its value).
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from . import registry as codes

HOUSEHOLD = "household"
MEMBER = "member"


@dataclass(frozen=True)
class ImportColumn:
    header: str           # the Chinese header as the template writes it
    key: str              # the field it fills
    required: bool        # the column must be present and the value filled
    scope: str            # HOUSEHOLD: once per household; MEMBER: on every row
    note: str             # the rule, for the instructions sheet
    choices: tuple[str, ...] = ()        # allowed values (Chinese labels)
    aliases: tuple[str, ...] = field(default=())  # other headers counties use for it
    text: bool = False    # a long number to keep as text in Excel


def _labels(mapping: dict[str, str], skip_blank: bool = True) -> tuple[str, ...]:
    return tuple(name for code, name in mapping.items() if code or not skip_blank)


COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("乡镇（街道）", "township", True, HOUSEHOLD,
                 "家庭所在乡镇或街道的名称，须与系统区划名称一致（如“新民镇”）",
                 aliases=("乡镇", "街道", "乡镇街道", "乡镇/街道")),
    ImportColumn("村（社区）", "village", True, HOUSEHOLD,
                 "家庭所在村或社区的名称，须是上一列乡镇（街道）下的村（社区），且在您的管辖范围内",
                 aliases=("村", "社区", "村社区", "村/社区", "行政村")),
    ImportColumn("家庭住址", "address", False, HOUSEHOLD, "详细住址，最多 200 字",
                 aliases=("住址", "家庭地址")),
    ImportColumn("联系电话", "phone", False, HOUSEHOLD, "手机或座机号码，7-12 位数字",
                 aliases=("电话", "联系方式", "手机号码"), text=True),
    ImportColumn("开户银行", "bank_name", False, HOUSEHOLD, "发放资金的开户银行名称，最多 60 字",
                 aliases=("开户行",)),
    ImportColumn("银行账号", "bank_account", False, HOUSEHOLD,
                 "12-30 位数字；请设置为文本格式，以免 Excel 改成科学计数法",
                 aliases=("银行卡号", "账号"), text=True),
    ImportColumn("户主身份证号", "head_id_number", True, MEMBER,
                 "本人所在家庭户主的身份证号；同一家庭的每一行都填同一个号码，系统据此把成员归为一户",
                 aliases=("户主身份证号码",), text=True),
    ImportColumn("姓名", "name", True, MEMBER, "成员姓名，最多 50 字", aliases=("成员姓名",)),
    ImportColumn("身份证号", "id_number", True, MEMBER,
                 "18 位居民身份证号码，末位可为 X；系统核对校验码，出生日期和性别从号码中读取；"
                 "同一人只能在一个在册家庭中",
                 aliases=("身份证号码", "公民身份号码", "证件号码"), text=True),
    ImportColumn("与户主关系", "relation", True, MEMBER,
                 "每户有且只有一行填“户主”（也可填“本人”），且该行身份证号与户主身份证号相同；"
                 "“之妻”“之子”“长女”等常见写法也可识别",
                 choices=_labels(codes.RELATIONS), aliases=("关系",)),
    ImportColumn("性别", "sex", False, MEMBER, "可留空（从身份证号读取）；填写时须与身份证号一致",
                 choices=("男", "女")),
    ImportColumn("出生日期", "birth_date", False, MEMBER,
                 "可留空（从身份证号读取）；填写时须与身份证号一致，格式如 1968-03-12"),
    ImportColumn("劳动能力", "labour_capacity", False, MEMBER,
                 "未满 16 周岁、60 周岁及以上、一二级残疾、三级智力或精神残疾者为“无劳动能力”（可留空由系统判定）；"
                 "其他人留空视为“全部劳动能力”",
                 choices=_labels(codes.LABOUR_CAPACITY)),
    ImportColumn("健康状况", "health", False, MEMBER, "留空视为“健康”", choices=_labels(codes.HEALTH),
                 aliases=("健康情况",)),
    ImportColumn("残疾类别", "disability_type", False, MEMBER, "无残疾留空或填“无”；与残疾等级同时填写",
                 choices=_labels(codes.DISABILITY_TYPES, skip_blank=False)),
    ImportColumn("残疾等级", "disability_grade", False, MEMBER, "无残疾留空或填“无”；与残疾类别同时填写",
                 choices=_labels(codes.DISABILITY_GRADES, skip_blank=False)),
    ImportColumn("就业情况", "employment", False, MEMBER, "可留空", choices=_labels(codes.EMPLOYMENT)),
    ImportColumn("在校情况", "schooling", False, MEMBER, "在读学段；不在校留空或填“不适用”，辍学填“辍学”",
                 choices=_labels(codes.SCHOOLING, skip_blank=False), aliases=("就学情况",)),
    ImportColumn("参加基本医保", "medical_insurance", False, MEMBER, "填“是”或“否”；留空视为“是”",
                 choices=("是", "否"), aliases=("是否参加基本医保", "基本医疗保险", "参加基本医疗保险")),
)

# Other words counties' registers use for an allowed value (之妻, 本人 ...), mapped to the
# template's label before the value is checked.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "relation": {"本人": "户主", "户主本人": "户主", "妻": "配偶", "妻子": "配偶", "夫": "配偶", "丈夫": "配偶",
                 "之妻": "配偶", "之夫": "配偶", "子": "子女", "女": "子女", "儿子": "子女", "女儿": "子女",
                 "之子": "子女", "之女": "子女", "长子": "子女", "次子": "子女", "长女": "子女", "次女": "子女",
                 "父亲": "父母", "母亲": "父母", "之父": "父母", "之母": "父母", "孙子": "孙子女", "孙女": "孙子女",
                 "之孙子": "孙子女", "之孙女": "孙子女", "祖父": "祖父母", "祖母": "祖父母", "儿媳": "儿媳/女婿",
                 "女婿": "儿媳/女婿", "兄弟": "兄弟姐妹", "姐妹": "兄弟姐妹"},
    "disability_grade": {"1级": "一级", "2级": "二级", "3级": "三级", "4级": "四级"},
    "medical_insurance": {"已参保": "是", "未参保": "否"},
}

BY_KEY = {c.key: c for c in COLUMNS}
H = {c.key: c.header for c in COLUMNS}  # field key -> header, for error reports
HEADERS = tuple(c.header for c in COLUMNS)
HOUSEHOLD_KEYS = tuple(c.key for c in COLUMNS if c.scope == HOUSEHOLD)
TEXT_HEADERS = frozenset(c.header for c in COLUMNS if c.text)

_SPACES = re.compile(r"\s+")


def normalise_header(text: str) -> str:
    """A header as compared: no spaces anywhere, full-width brackets and letters made
    half-width, a required-marker star dropped (“ 乡镇（街道）*” == “乡镇(街道)”)."""
    folded = unicodedata.normalize("NFKC", text or "")
    folded = folded.replace("【", "(").replace("】", ")").replace("〔", "(").replace("〕", ")")
    return _SPACES.sub("", folded).strip("*").upper()


@cache
def _lookup(columns: tuple[ImportColumn, ...]) -> dict[str, str]:
    """Normalised header or alias -> field key, built once per column set (the registry's
    and the application import's); the first column to claim a name keeps it."""
    names: dict[str, str] = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            names.setdefault(normalise_header(name), column.key)
    return names


@dataclass
class HeaderMatch:
    """Which field each position of the header row fills, and what is wrong with it."""

    keys: list[str | None]                             # per position; None = ignored
    missing: list[str] = field(default_factory=list)   # template headers of required columns absent
    unknown: list[str] = field(default_factory=list)   # headers as written that match no column
    repeated: list[str] = field(default_factory=list)  # headers as written of a column seen before

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unknown or self.repeated)

    def position(self) -> dict[str, int]:
        """field key -> index of its column in a row."""
        return {k: i for i, k in enumerate(self.keys) if k is not None}


def match_headers(headers: list[str], columns: tuple[ImportColumn, ...] = COLUMNS) -> HeaderMatch:
    """Match a file's header row to `columns` (the registry's unless told) by name, in any order.

    Blank headers are ignored; a column named twice is used at its first place.
    """
    lookup = _lookup(columns)
    keys: list[str | None] = []
    match = HeaderMatch(keys=keys)
    seen: set[str] = set()
    for raw in headers:
        name = normalise_header(raw)
        if not name:
            keys.append(None)
            continue
        key = lookup.get(name)
        if key is None:
            match.unknown.append(raw.strip())
            keys.append(None)
        elif key in seen:
            match.repeated.append(raw.strip())
            keys.append(None)
        else:
            seen.add(key)
            keys.append(key)
    match.missing = [c.header for c in columns if c.required and c.key not in seen]
    return match


def column_for_message(message: str, candidates: tuple[str, ...] = HEADERS) -> str:
    """The header a validation message is about: messages start with the field's label
    (“性别“女”与身份证号不符…” is about 性别). Longest label first, so 户主身份证号 wins
    over 身份证号. Empty when no label fits."""
    for header in sorted(candidates, key=len, reverse=True):
        if message.startswith(header):
            return header
    return ""
