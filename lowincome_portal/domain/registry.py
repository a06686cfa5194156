"""The registry's vocabulary: codes stored in the database and the Chinese the county uses.

One place for these labels, so forms, lists, imports and documents say the same thing.
"""

# Tags a household can carry (工作对象). Several at once; each is dated history.
DIBAO = "dibao"
TEKUN = "tekun"
DIBAO_EDGE = "dibao_edge"
RIGID_HARDSHIP = "rigid_hardship"
MONITORING = "monitoring"
OTHER_HARDSHIP = "other"

TAG_LABELS = {
    DIBAO: "低保",
    TEKUN: "特困",
    DIBAO_EDGE: "低保边缘",
    RIGID_HARDSHIP: "刚性支出困难",
    MONITORING: "防返贫监测对象",
    OTHER_HARDSHIP: "其他困难",
}

MONITORING_TYPES = {
    "unstable": "脱贫不稳定户",
    "edge": "边缘易致贫户",
    "sudden": "突发严重困难户",
}

HOUSEHOLD_STATUS = {"active": "在册", "cancelled": "已注销"}

RELATIONS = {
    "head": "户主",
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "grandchild": "孙子女",
    "grandparent": "祖父母",
    "sibling": "兄弟姐妹",
    "child_in_law": "儿媳/女婿",
    "other": "其他",
}
HEAD = "head"

LABOUR_CAPACITY = {"full": "全部劳动能力", "partial": "部分劳动能力", "none": "无劳动能力"}

HEALTH = {
    "healthy": "健康",
    "chronic": "长期慢性病",
    "serious": "患有大病",
    "disabled": "残疾",
}

DISABILITY_TYPES = {
    "": "无",
    "visual": "视力残疾",
    "hearing": "听力残疾",
    "speech": "言语残疾",
    "physical": "肢体残疾",
    "intellectual": "智力残疾",
    "mental": "精神残疾",
    "multiple": "多重残疾",
}

DISABILITY_GRADES = {"": "无", "1": "一级", "2": "二级", "3": "三级", "4": "四级"}

EMPLOYMENT = {
    "migrant": "外出务工",
    "local_work": "本地务工",
    "farming": "务农",
    "self_employed": "个体经营",
    "flexible": "灵活就业",
    "public_job": "公益性岗位",
    "unemployed": "无业",
    "student": "在校生",
    "preschool": "学龄前",
    "retired": "退休/养老",
}

SCHOOLING = {
    "": "不适用",
    "preschool": "学前教育",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "vocational": "中职",
    "college": "大专及以上",
    "dropped_out": "辍学",
}

HOUSING_SAFETY = {"A": "A级（安全）", "B": "B级（基本安全）", "C": "C级（局部危险）", "D": "D级（整体危险）"}
UNSAFE_HOUSING = ("C", "D")

RISK_POINTS = {
    "illness": "因病",
    "schooling": "因学",
    "disability": "因残",
    "disaster": "因灾",
    "accident": "因意外事故",
    "farming_failure": "产业项目失败",
    "unstable_work": "务工就业不稳",
    "lack_of_labour": "缺劳动力",
}

ECONOMIC_SOURCES = {"visit": "入户调查", "application": "申请", "import": "导入", "manual": "手工录入"}


def label(mapping: dict[str, str], code: str | None) -> str:
    """The Chinese label of a code, or the code itself when unknown (never an error in a list)."""
    return mapping.get(code or "", code or "")
