"""Code lists of the national 建档立卡 forms and of this register.

Every list is a ``StrEnum`` whose value is the Chinese label (what we store and show), with the
national numeric ``code`` and, where JSON needs one, an English ``key``. ``parse`` accepts the
label, the code (``"03"``, ``3``, ``3.0``), the key, or a common variant, and fails listing every
valid value.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Any, Self

from fupin_cli.core.faults import Invalid


class CodeError(Invalid):
    """A value that is not in a code list; the message lists the valid values."""


def clean_text(value: Any) -> str:
    """NFKC-normalise (full-width digits and letters become ASCII) and drop all white space."""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(text.split())


class Coded(StrEnum):
    """Base of every code list: value = label; ``code``, ``key`` and ``aliases`` ride along."""

    code: str
    key: str
    aliases: tuple[str, ...]

    def __new__(cls, label: str, code: str, key: str = "", *aliases: str) -> Self:
        obj = str.__new__(cls, label)
        obj._value_ = label
        obj.code = code
        obj.key = key or label
        obj.aliases = aliases
        return obj

    @classmethod
    def title(cls) -> str:
        return getattr(cls, "_title", cls.__name__)

    @classmethod
    def lookup(cls) -> dict[str, Self]:
        table = cls.__dict__.get("_lookup_cache")
        if table is None:
            table = {}
            for member in cls:
                names = [member.value, member.key, *member.aliases]
                if member.code:
                    names.append(member.code)
                for name in names:
                    table[clean_text(name).lower()] = member
                if member.code.isdigit():
                    table[str(int(member.code))] = member
            cls._lookup_cache = table  # type: ignore[attr-defined]
        return table

    @classmethod
    def parse(cls, value: Any) -> Self:
        if isinstance(value, cls):
            return value
        if isinstance(value, bool):
            raise cls._invalid(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = clean_text(value).lower()
        member = cls.lookup().get(text)
        if member is None and text.isdigit():
            member = cls.lookup().get(str(int(text)))
        if member is None:
            raise cls._invalid(value)
        return member

    @classmethod
    def choices(cls) -> str:
        return ", ".join(f"{m.code} {m.value}" if m.code else m.value for m in cls)

    @classmethod
    def _invalid(cls, value: Any) -> CodeError:
        return CodeError(
            f"'{value}' is not a valid {cls.title()}; use one of: {cls.choices()}",
            zh=f"'{value}' 不是有效的{cls.title()}；请填写其中之一：{cls.choices()}",
        )


def titled(title: str):
    """Give a code list its Chinese title, used in error messages."""

    def mark(cls: type[Coded]) -> type[Coded]:
        cls._title = title  # type: ignore[attr-defined]
        return cls

    return mark


@titled("劳动技能")
class LabourSkill(Coded):
    ORDINARY = "普通劳动力", "01", "ordinary"
    SKILLED = "技能劳动力", "02", "skilled"
    LOST = "丧失劳动力", "03", "lost", "丧失劳动能力"
    NONE = "无劳动力", "04", "none", "无劳动能力"

    @property
    def able(self) -> bool:
        return self in (LabourSkill.ORDINARY, LabourSkill.SKILLED)


@titled("健康状况")
class Health(Coded):
    HEALTHY = "健康", "01", "healthy"
    CHRONIC = "长期慢性病", "02", "chronic", "慢性病"
    SERIOUS = "患有大病", "03", "serious", "大病"
    DISABLED = "残疾", "04", "disabled"


@titled("文化程度")
class Education(Coded):
    ILLITERATE = "文盲或半文盲", "01", "illiterate", "文盲", "半文盲"
    PRIMARY = "小学", "02", "primary"
    JUNIOR = "初中", "03", "junior"
    SENIOR = "高中", "04", "senior", "高中(含中专)", "中专"
    COLLEGE = "大专及以上", "05", "college", "大专", "本科", "大学"
    PRESCHOOL = "学龄前儿童", "06", "preschool", "学龄前"


@titled("在校生状况")
class SchoolStatus(Coded):
    NOT_IN_SCHOOL = "非在校生", "01", "not_in_school"
    PRESCHOOL = "学前教育", "02", "preschool"
    PRIMARY = "小学", "03", "primary"
    GRADE7 = "七年级", "04", "grade7", "初一", "初中一年级"
    GRADE8 = "八年级", "05", "grade8", "初二", "初中二年级"
    GRADE9 = "九年级", "06", "grade9", "初三", "初中三年级"
    SENIOR1 = "高中一年级", "07", "senior1", "高一"
    SENIOR2 = "高中二年级", "08", "senior2", "高二"
    SENIOR3 = "高中三年级", "09", "senior3", "高三"
    VOCATIONAL1 = "中职一年级", "10", "vocational1"
    VOCATIONAL2 = "中职二年级", "11", "vocational2"
    VOCATIONAL3 = "中职三年级", "12", "vocational3"
    HIGHER_VOC1 = "高职一年级", "13", "higher_vocational1"
    HIGHER_VOC2 = "高职二年级", "14", "higher_vocational2"
    HIGHER_VOC3 = "高职三年级", "15", "higher_vocational3"
    COLLEGE = "大专及以上", "16", "college", "大学", "本科"

    @property
    def is_student(self) -> bool:
        """小学 and above count as students for pairing and aid; 学前教育 does not."""
        return self not in (SchoolStatus.NOT_IN_SCHOOL, SchoolStatus.PRESCHOOL)


@titled("与户主关系")
class Relation(Coded):
    HEAD = "户主", "01", "head", "本人"
    SPOUSE = "配偶", "02", "spouse", "妻", "夫", "妻子", "丈夫"
    SON = "之子", "03", "son", "子", "儿子", "长子", "次子"
    DAUGHTER = "之女", "04", "daughter", "女", "女儿", "长女", "次女"
    DAUGHTER_IN_LAW = "之儿媳", "05", "daughter_in_law", "儿媳"
    SON_IN_LAW = "之女婿", "06", "son_in_law", "女婿"
    GRANDSON = "之孙子", "07", "grandson", "孙子"
    GRANDDAUGHTER = "之孙女", "08", "granddaughter", "孙女"
    DAUGHTERS_SON = "之外孙子", "09", "daughters_son", "外孙子", "外孙"
    DAUGHTERS_DAUGHTER = "之外孙女", "10", "daughters_daughter", "外孙女"
    FATHER = "之父", "11", "father", "父亲", "父"
    MOTHER = "之母", "12", "mother", "母亲", "母"
    WIFES_FATHER = "之岳父", "13", "wifes_father", "岳父"
    WIFES_MOTHER = "之岳母", "14", "wifes_mother", "岳母"
    HUSBANDS_FATHER = "之公公", "15", "husbands_father", "公公"
    HUSBANDS_MOTHER = "之婆婆", "16", "husbands_mother", "婆婆"
    GRANDFATHER = "之祖父", "17", "grandfather", "祖父"
    GRANDMOTHER = "之祖母", "18", "grandmother", "祖母"
    MATERNAL_GRANDFATHER = "之外祖父", "19", "maternal_grandfather", "外祖父"
    MATERNAL_GRANDMOTHER = "之外祖母", "20", "maternal_grandmother", "外祖母"
    OTHER = "其他", "99", "other"


@titled("务工状况")
class WorkStatus(Coded):
    IN_TOWNSHIP = "乡内务工", "01", "in_township", "乡(镇)内务工", "乡镇内务工", "乡内"
    IN_COUNTY = "乡外县内务工", "02", "in_county", "乡外县内", "乡(镇)外县内务工"
    IN_PROVINCE = "县外省内务工", "03", "in_province", "县外省内"
    OUT_OF_PROVINCE = "省外务工", "04", "out_of_province", "省外"
    OTHER = "其他", "05", "other", "无", "未务工", "在家务农"

    @property
    def employed(self) -> bool:
        return self is not WorkStatus.OTHER

    @staticmethod
    def not_in_work(blank_is_unknown: bool = False) -> tuple[WorkStatus | str | None, ...]:
        """The values of 务工状况 that mean "not in work": 其他, and a blank (the roster form
        leaves it blank for a labourer without work) unless the policy makes a blank unknown."""
        return (WorkStatus.OTHER,) if blank_is_unknown else (WorkStatus.OTHER, None, "")


@titled("住房状况")
class Housing(Coded):
    SAFE = "安全", "1", "safe", "安全住房", "安全房"
    UNSAFE_C = "危房C级", "2", "unsafe_c", "C级危房", "C级"
    UNSAFE_D = "危房D级", "3", "unsafe_d", "D级危房", "D级"
    NONE = "无房", "4", "none", "无住房"


@titled("性别")
class Sex(Coded):
    MALE = "男", "1", "male", "M"
    FEMALE = "女", "2", "female", "F"


@titled("贫困户属性")
class Attribute(Coded):
    """贫困户属性."""

    GENERAL = "一般贫困户", "1", "general", "一般"
    DIBAO = "低保贫困户", "2", "dibao", "低保"
    WUBAO = "五保贫困户", "3", "wubao", "五保"


@titled("状态")
class Status(Coded):
    """Household lifecycle (建档立卡 status)."""

    UNIDENTIFIED = "未识别", "0", "unidentified"
    IDENTIFIED = "已识别", "1", "identified"
    PROPOSED_EXIT = "预脱贫", "2", "proposed_exit"
    EXITED = "已脱贫", "3", "exited"
    RETURNED = "返贫", "4", "returned"
    REMOVED = "剔除", "5", "removed", "错评"

    @property
    def registered(self) -> bool:
        """Registered poor (建档立卡在册): identified, proposed for exit, or returned."""
        return self in (Status.IDENTIFIED, Status.PROPOSED_EXIT, Status.RETURNED)


@titled("识别结论")
class Decision(Coded):
    IDENTIFIED = "识别为贫困户", "1", "identified"
    REVIEW = "待民主评议", "2", "review"
    NOT_IDENTIFIED = "不识别", "3", "not_identified"


@titled("致贫原因")
class Cause(Coded):
    """致贫原因."""

    ILLNESS = "因病", "01", "illness"
    DISABILITY = "因残", "02", "disability"
    SCHOOLING = "因学", "03", "schooling"
    DISASTER = "因灾", "04", "disaster"
    LAND = "缺土地", "05", "land"
    WATER = "缺水", "06", "water"
    SKILLS = "缺技术", "07", "skills"
    LABOUR = "缺劳力", "08", "labour"
    CAPITAL = "缺资金", "09", "capital"
    TRANSPORT = "交通条件落后", "10", "transport"
    MOTIVATION = "自身发展动力不足", "11", "motivation"


@titled("帮扶类别")
class Category(Coded):
    """The four support categories (分类施策)."""

    INDUSTRY = "产业帮扶", "1", "industry"
    RELOCATION = "易地搬迁", "2", "relocation", "异地搬迁"
    SAFETY_NET = "政策兜底", "3", "safety_net"
    ILLNESS_AID = "大病救助", "4", "illness_aid"


@titled("帮扶措施")
class Measure(Coded):
    """Secondary measures (帮扶措施) that go with a category."""

    EDUCATION_AID = "教育资助", "1", "education_aid"
    SKILLS_TRAINING = "技能培训", "2", "skills_training"
    HOUSING_REPAIR = "危房改造", "3", "housing_repair"
    MICRO_CREDIT = "小额信贷", "4", "micro_credit"
    JOB_TRANSFER = "转移就业", "5", "job_transfer"


@titled("职级")
class CadreRank(Coded):
    MUNICIPAL = "市级领导", "1", "municipal"
    COUNTY = "县级领导", "2", "county"
    SECTION = "科级干部", "3", "section"
    GENERAL = "一般干部", "4", "general"
    TEACHER = "教师", "5", "teacher"


@titled("队长级别")
class LeaderLevel(Coded):
    MUNICIPAL = "市级", "1", "municipal", "市级领导"
    COUNTY = "县级", "2", "county", "县级领导"
    TOWNSHIP = "乡镇", "3", "township", "乡镇级", "乡级"


@titled("走访类型")
class VisitKind(Coded):
    VISIT = "走访", "1", "visit"
    CONDOLENCE = "慰问", "2", "condolence"
    DEED = "办实事", "3", "deed"
    PUBLICITY = "宣讲", "4", "publicity"


@titled("渠道")
class Channel(Coded):
    """Money channels: the four 'a bit each' (四个一点) plus social money."""

    FISCAL = "财政投入", "1", "fiscal", "财政"
    INTEGRATED = "项目整合", "2", "integrated", "整合"
    SELF_RAISED = "群众自筹", "3", "self_raised", "一事一议", "自筹"
    CREDIT = "银行贷款", "4", "credit", "信贷", "贷款"
    SOCIAL = "社会帮扶", "5", "social", "社会"


@titled("类型")
class FundKind(Coded):
    RECEIPT = "到位", "1", "receipt"
    ALLOCATION = "拨付", "2", "allocation"
    DISBURSEMENT = "支出", "3", "disbursement"
    REVERSAL = "冲销", "4", "reversal"
    AGRI_TOTAL = "涉农资金总额", "5", "agri_total"


@titled("产业")
class Industry(Coded):
    GRAIN = "粮食", "1", "grain"
    OIL = "油料", "2", "oil", "油茶"
    TEA = "茶叶", "3", "tea"
    LIVESTOCK = "畜禽", "4", "livestock"
    FRUIT_VEG = "果蔬", "5", "fruit_veg"
    BAMBOO_WOOD = "竹木", "6", "bamboo_wood"
    TOURISM = "乡村旅游", "7", "tourism"
    INFRASTRUCTURE = "基础设施", "8", "infrastructure"


@titled("贷款状态")
class LoanStatus(Coded):
    NORMAL = "正常", "1", "normal"
    OVERDUE = "逾期", "2", "overdue"
    REPAID = "已还", "3", "repaid", "已还清", "结清"


_YES = {"是", "y", "yes", "1", "true", "有", "√", "✓", "t"}
_NO = {"否", "n", "no", "0", "false", "无", "×", "f", "没有"}


def parse_yes_no(value: Any) -> bool | None:
    """是/否, Y/N, 1/0 → bool; blank → None (unknown, never "no"). Anything else raises CodeError."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = clean_text(value).lower()
    if text == "":
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CodeError(
        f"'{value}' is not yes or no; use 是 or 否 (also Y/N, 1/0)",
        zh=f"'{value}' 不是“是”或“否”；请填 是 或 否（也可填 Y/N、1/0）",
    )
