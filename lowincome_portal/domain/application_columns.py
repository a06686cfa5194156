"""The application import's columns, as data: header, field, whether required, the rule.

Format (chosen to match the registry import county staff already use): one row per person.
The rows of one application share its 外部申请编号 (the number 渝快办 / 救助通 gave it); the
applicant's row says “申请人” under 与申请人关系, the family members' rows say how they are
related to the applicant. Application columns (channel, date, village, address, phone,
difficulty, consent) may be filled on the applicant's row only; where several rows of the
same application fill them they must agree.

The template's example applications and instruction rules are here too. The column record
and the header matching come from domain/import_columns.py (match_headers(header, COLUMNS)),
so both imports read a file the same way.
"""

from . import registry as codes
from .import_columns import VALUE_ALIASES as REGISTRY_VALUE_ALIASES
from .import_columns import ImportColumn

APPLICATION = "application"  # once per application (the rows sharing an external number)
PERSON = "person"            # on every row

# The channels a county takes applications through besides this portal; the label goes
# into the application's history, the application's own channel is "import".
CHANNELS = {"yukuaiban": "渝快办", "jiuzhutong": "救助通", "other": "其他"}
APPLICANT = "申请人"
# Words that mark the applicant's own row. 户主 too: exports often list the applicant as 户主,
# and in an application (unlike the registry) a member can never be the 户主.
APPLICANT_WORDS = frozenset({APPLICANT, "本人", "申请人本人", "户主", "户主本人"})
MEMBER_RELATIONS = tuple(name for code, name in codes.RELATIONS.items() if code != codes.HEAD)

COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("外部申请编号", "external_ref", True, APPLICATION,
                 "渝快办、救助通等渠道给出的申请编号（办件号）；同一份申请的每一行都填同一个编号，"
                 "系统据此把各行归为一份申请；最多 40 个字符",
                 aliases=("申请编号（外部）", "申请编号", "外部编号", "办件编号", "办件号", "业务编号",
                          "申请单号"), text=True),
    ImportColumn("申请渠道", "channel", False, APPLICATION, "留空视为“其他”",
                 choices=tuple(CHANNELS.values()), aliases=("渠道", "申请来源", "来源渠道", "受理渠道")),
    ImportColumn("申请日期", "applied_on", False, APPLICATION,
                 "申请人在原渠道提交的日期，如 2026-05-20；不能晚于导入当天；"
                 "办理时限从导入当天起算", aliases=("提交日期", "申请时间", "提交时间")),
    ImportColumn("乡镇（街道）", "township", False, APPLICATION,
                 "乡镇或街道名称（如“新民镇”）；村（社区）填名称且全县有重名时必须填写",
                 aliases=("乡镇", "街道", "乡镇街道", "乡镇/街道")),
    ImportColumn("村（社区）", "village", True, APPLICATION,
                 "申请人所在村或社区的名称，或 12 位区划代码；须在您的管辖范围内",
                 aliases=("村", "社区", "村社区", "村/社区", "行政村", "村（社区）代码", "村社区代码",
                          "区划代码", "所在村（社区）")),
    ImportColumn("家庭住址", "address", True, APPLICATION, "详细住址，最多 200 字",
                 aliases=("住址", "家庭地址", "居住地址")),
    ImportColumn("联系电话", "phone", True, APPLICATION, "手机或座机号码，7-12 位数字，便于入户联系",
                 aliases=("电话", "联系方式", "手机号码", "申请人电话"), text=True),
    ImportColumn("困难情况说明", "difficulty", True, APPLICATION, "家庭困难情况，最多 1000 字",
                 aliases=("困难情况", "申请理由", "申请事由", "困难原因")),
    ImportColumn("已授权核查", "consent", True, APPLICATION,
                 "申请人是否已签署（或在线确认）家庭经济状况核查授权；只能导入填“是”的申请，"
                 "填“否”的申请须先取得授权",
                 choices=("是", "否"), aliases=("授权核查", "是否授权核查", "已签署授权书", "是否授权")),
    ImportColumn("姓名", "name", True, PERSON, "本行人员姓名，最多 50 字", aliases=("成员姓名", "人员姓名")),
    ImportColumn("身份证号", "id_number", True, PERSON,
                 "18 位居民身份证号码，末位可为 X；同一人在文件中只能出现一次",
                 aliases=("身份证号码", "公民身份号码", "证件号码"), text=True),
    ImportColumn("与申请人关系", "relation", True, PERSON,
                 "申请人本人填“申请人”（也可填“本人”或“户主”），每份申请有且只有一行申请人；"
                 "家庭成员填与申请人的关系，“妻子”“之子”“长女”等常见写法也可识别",
                 choices=(APPLICANT, *MEMBER_RELATIONS), aliases=("关系",)),
)

# Channel exports are a few hundred applications; each one is created through the intake
# service (tracking number, clock, event, audit), so files stay far below the registry's size.
MAX_ROWS = 10_000
MAX_REF_LENGTH = 40

BY_KEY = {c.key: c for c in COLUMNS}
H = {c.key: c.header for c in COLUMNS}  # field key -> header, for error reports
HEADERS = tuple(c.header for c in COLUMNS)
APPLICATION_KEYS = tuple(c.key for c in COLUMNS if c.scope == APPLICATION)
TEXT_HEADERS = frozenset(c.header for c in COLUMNS if c.text)

# Other words for an allowed value, mapped to the template's label before it is checked;
# the kinship words are the registry import's, less those that mean 户主 (the applicant here).
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "relation": {word: label for word, label in REGISTRY_VALUE_ALIASES["relation"].items()
                 if label in MEMBER_RELATIONS},
    "channel": {"渝快办APP": "渝快办", "渝快办App": "渝快办", "重庆渝快办": "渝快办", "救助通APP": "救助通",
                "救助通App": "救助通", "其它": "其他"},
}


# --- the template: example applications and the rules of its instructions sheet --------

EXAMPLE_ROWS = [
    ["YKB2026052000123", "渝快办", "2026-05-20", "新民镇", "凤凰村", "新民镇凤凰村3组12号", "13800000000",
     "夫妻二人均患慢性病，无稳定收入，孩子上学开支大", "是", "张大山", "500231196803120112", APPLICANT],
    ["YKB2026052000123", "", "", "", "", "", "", "", "", "李秀英", "500231197007210226", "配偶"],
    ["YKB2026052000123", "", "", "", "", "", "", "", "", "张小明", "500231201209010133", "子女"],
    ["JZT-2026-0456", "救助通", "2026-05-22", "新民镇", "长岭村", "新民镇长岭村1组5号", "13900000000",
     "独居老人，无子女，无劳动能力", "是", "王秀兰", "500231195604080248", APPLICANT],
]
assert all(len(r) == len(COLUMNS) for r in EXAMPLE_ROWS)
# Rows left in from the template are refused rather than imported (name and number both,
# since a real person may hold one of these numbers).
EXAMPLE_PEOPLE = frozenset((r[HEADERS.index(H["id_number"])], r[HEADERS.index(H["name"])]) for r in EXAMPLE_ROWS)

RULES = (
    "第一行是列名，请勿修改或在上方插入标题行；列的顺序可以调整，选填列可以删除。",
    "每行一个人：申请人本人一行（与申请人关系填“申请人”），每位家庭成员一行；同一份申请的各行填写相同的外部申请编号。",
    "申请渠道、申请日期、乡镇、村、住址、电话、困难情况、已授权核查是申请信息，可只在申请人一行填写；多行填写时必须一致。",
    "只能导入已授权核查家庭经济状况的申请；已有未办结申请的人不能再次申请；同一人在文件中只能出现一次。",
    "身份证号、电话等列请保持“文本”格式，否则 Excel 会把长号码改成科学计数法并丢失末尾数字。",
    "导入时全部行一起检查：只要有一处错误，整个文件都不导入，系统会列出每处错误的行号、列名和原因。",
    f"导入的申请状态为“待受理”，由乡镇（街道）受理后进入信息比对；每个文件不超过 20 MB、{MAX_ROWS} 行，"
    "可保存为 .xlsx 或 .csv（UTF-8 或 GBK 编码均可）。",
    "第一张表中的两份示例申请（张大山、王秀兰）仅供参考，导入前请删除。",
)
