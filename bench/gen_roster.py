#!/usr/bin/env python3
"""Deterministic synthetic 精准扶贫 roster (花名册) for Taoyuan County (桃源县, region 430725).

One row per person, households grouped (户主 row first), household columns on the 户主 row.
Standalone on purpose: standard library + openpyxl (+ python-stdnum, optional, only used as a
self-check of the ID check digit). It must not import ``fupin_cli``.

Determinism: the same arguments give byte-identical files (fixed workbook properties and fixed
zip entry timestamps). The clean data does not depend on ``--faults``, ``--blank-rows``,
``--subtotals`` or ``--title``: each of those draws from its own random stream, so a faulty file
differs from the clean one only in the faulty households and the inserted rows.

Examples::

    python bench/gen_roster.py -o roster.xlsx --households 250000          # county scale
    python bench/gen_roster.py -o examples/roster.xlsx --households 300 --townships 2 \\
        --villages 6 --faults 6 --title --blank-rows --subtotals --hidden-instructions \\
        --seed 2016 --villages-out examples/villages.xlsx --manifest /tmp/faults.json
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import random
import shutil
import sys
import time
import zipfile

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

COUNTY_CODE = "430725"
COUNTY_NAME = "桃源县"
TITLE = "桃源县精准扶贫建档立卡花名册"
SHEET = "花名册"
VILLAGE_SHEET = "村情"
INSTRUCTIONS_SHEET = "填表说明"
FIXED_TIME = dt.datetime(2016, 10, 1, 8, 0, 0)
POVERTY_LINE_2016 = 2952

HEADER = [
    "乡镇",
    "村",
    "组",
    "户编号",
    "姓名",
    "身份证号",
    "性别",
    "与户主关系",
    "出生日期",
    "文化程度",
    "在校生状况",
    "健康状况",
    "劳动技能",
    "务工状况",
    "户主姓名",
    "家庭年人均纯收入(元)",
    "住房状况",
    "住房面积(㎡)",
    "耕地面积(亩)",
    "是否低保",
    "是否五保",
    "搬迁区域",
    "是否有财政供养人员",
    "是否有车辆或大型农机",
    "是否有城镇商品房或门面",
    "是否有注册企业",
    "联系电话",
]
(
    C_TOWN,
    C_VILLAGE,
    C_GROUP,
    C_HID,
    C_NAME,
    C_ID,
    C_SEX,
    C_REL,
    C_BIRTH,
    C_EDU,
    C_SCHOOL,
    C_HEALTH,
    C_LABOUR,
    C_WORK,
    C_HEAD,
    C_INCOME,
) = range(16)
HOUSEHOLD_COLS = (C_TOWN, C_VILLAGE, C_GROUP) + tuple(range(C_INCOME, len(HEADER)))

VILLAGE_HEADER = [
    "乡镇",
    "村",
    "村代码",
    "是否贫困村",
    "户籍人口",
    "农业人口",
    "村集体经济收入(元)",
    "搬迁区域",
    "通安全饮水",
    "通动力电",
    "通硬化路",
    "危房清零",
    "有标准化卫生室",
    "通广播电视",
    "通宽带",
    "年度",
]

INSTRUCTIONS = [
    "填表说明",
    "1. 本表为桃源县精准扶贫建档立卡花名册，每人一行；同一户的成员连续填写，户主行在前。",
    "2. 户编号为13位数字（县代码430725+乡镇2位+村2位+户序号3位），请以文本格式录入。",
    "3. 身份证号须为18位，以文本格式录入，勿录成数字（超过15位的数字会丢失末位）。",
    "4. 家庭年人均纯收入、住房、耕地、低保五保等家庭信息填在户主行，成员行可不填。",
    "5. 代码项可填写名称或国家代码，如 健康状况：01健康 02长期慢性病 03患有大病 04残疾。",
    "6. 是否类项目填“是”或“否”；出生日期格式为 yyyy-mm-dd，须与身份证号一致。",
    "7. 每村末尾的“合计”行和空行为汇总用，导入时将被忽略。",
]

# --------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------

TOWNSHIPS = [
    "漳江镇",
    "陬市镇",
    "热市镇",
    "茶庵铺镇",
    "西安镇",
    "沙坪镇",
    "牛车河乡",
    "观音寺镇",
    "理公港镇",
    "九溪镇",
    "盘塘镇",
    "黄石镇",
    "漆家河镇",
    "郑家驿镇",
    "架桥镇",
    "马鬃岭镇",
    "三阳港镇",
    "剪市镇",
    "龙潭镇",
    "杨溪桥镇",
    "双溪口镇",
    "凌津滩镇",
    "桃花源镇",
    "木塘垸镇",
    "泥窝潭乡",
    "佘家坪乡",
    "杉木桥乡",
    "青林回族维吾尔族乡",
    "枫树维吾尔族回族乡",
    "芦花潭乡",
    "车湖垸乡",
    "兴隆街乡",
    "钟家铺乡",
    "深水港乡",
    "夷望溪镇",
    "寺坪乡",
    "太平桥乡",
    "浯溪河乡",
    "尧河乡",
    "高桥乡",
]
VILLAGE_FIRST = [
    "桃花",
    "枫树",
    "白鹤",
    "青龙",
    "金盆",
    "杨柳",
    "黄土",
    "高峰",
    "双溪",
    "梅溪",
    "茶园",
    "松林",
    "竹园",
    "荷花",
    "红岩",
    "长岭",
    "新桥",
    "大水",
    "凤凰",
    "石门",
    "沙湾",
    "牛角",
    "杉木",
    "泉水",
    "白果",
    "柏树",
    "桐木",
    "龙虎",
    "花园",
    "太平",
    "和平",
    "兴隆",
    "永兴",
    "建设",
    "团结",
    "向阳",
    "光明",
    "五里",
    "三星",
    "鸭池",
]
VILLAGE_A = (
    "桃枫白青金杨黄高双梅茶松竹荷红长新大凤石沙牛杉泉柏桐龙花太和兴永团向光五三马李张刘"
    "陈周田彭罗谭唐伍樟栗桂兰槐鹿狮虎鸡鹅莲"
)
VILLAGE_B = "溪坪湾岭山冲塘桥岗林园峰港洲垭坡铺口堰河田岩坝湖垸庄台寺观阁亭"

# --------------------------------------------------------------------------------------------
# Code lists (label, national code) — labels are written, codes occasionally instead
# --------------------------------------------------------------------------------------------

CODES = {
    "户主": "01",
    "配偶": "02",
    "之子": "03",
    "之女": "04",
    "之儿媳": "05",
    "之孙子": "07",
    "之孙女": "08",
    "之父": "11",
    "之母": "12",
    "其他": "99",
    "文盲或半文盲": "01",
    "小学": "02",
    "初中": "03",
    "高中": "04",
    "大专及以上": "05",
    "学龄前儿童": "06",
    "健康": "01",
    "长期慢性病": "02",
    "患有大病": "03",
    "残疾": "04",
    "普通劳动力": "01",
    "技能劳动力": "02",
    "丧失劳动力": "03",
    "无劳动力": "04",
    "乡内务工": "01",
    "乡外县内务工": "02",
    "县外省内务工": "03",
    "省外务工": "04",
}
SCHOOL_CODES = {
    "非在校生": "01",
    "学前教育": "02",
    "小学": "03",
    "七年级": "04",
    "八年级": "05",
    "九年级": "06",
    "高中一年级": "07",
    "高中二年级": "08",
    "高中三年级": "09",
    "中职一年级": "10",
    "大专及以上": "16",
}
WORK_CODES = {
    "乡内务工": "01",
    "乡外县内务工": "02",
    "县外省内务工": "03",
    "省外务工": "04",
    "其他": "05",
}

FAULT_KINDS = [
    "bad_check_digit",
    "id_as_number",
    "unknown_code",
    "missing_head",
    "two_heads",
    "head_name_mismatch",
    "duplicate_id",
    "member_field_conflict",
    "sex_mismatch",
]
NEEDS_MEMBER = {"two_heads", "duplicate_id", "member_field_conflict"}

# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

_SURNAME_WEIGHTS = (
    "王71 李70 张67 刘60 陈45 杨31 黄22 赵20 吴20 周19 徐15 孙15 马14 朱13 胡13 郭12 何12 高11 "
    "林11 罗14 郑10 梁9 谢9 宋8 唐10 许7 韩7 冯7 邓9 曹7 彭10 曾8 肖7 田8 董5 袁5 潘5 于5 蒋6 蔡5 "
    "余5 杜5 叶5 程5 苏4 魏4 吕4 丁4 任4 沈4 姚4 卢4 姜4 崔3 钟4 谭7 陆3 汪3 范3 金3 石4 廖4 贾3 "
    "夏3 韦3 付3 方3 白3 邹4 孟3 熊4 秦3 邱3 江3 尹3 薛3 段2 雷3 侯2 龙3 史2 陶2 黎2 贺4 顾2 毛3 "
    "郝2 龚3 邵2 万2 钱2 严2 覃3 戴2 莫2 孔2 向5 汤2 伍3 文2 易2 欧阳1"
)
SURNAMES: list[str] = []
for _tok in _SURNAME_WEIGHTS.split():
    _name = "".join(c for c in _tok if not c.isdigit())
    SURNAMES.extend([_name] * int("".join(c for c in _tok if c.isdigit())))
MALE_CHARS = "建国明华军伟强平勇志文杰斌涛辉林海峰波刚俊磊超鹏飞春生德福贵祥富光荣宏新兵成云忠良学松山清永金武亮东江毅凯浩宇轩博睿泽阳晨家长双桂庆发立红"
FEMALE_CHARS = "秀英兰芳华玲梅娟丽萍红霞燕琴云莲珍凤桂菊敏静丹婷艳慧莉娜琳雪欣怡佳雨涵思梦月春小玉金翠美淑巧彩冬香爱"

# --------------------------------------------------------------------------------------------
# ID numbers (GB 11643, MOD 11-2)
# --------------------------------------------------------------------------------------------

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PREFIX_SUM = sum(int(c) * w for c, w in zip(COUNTY_CODE, _WEIGHTS, strict=False))


def check_digit(first17: str) -> str:
    """MOD 11-2 check character of the first 17 digits."""
    total = _PREFIX_SUM
    for i in range(6, 17):
        total += (ord(first17[i]) - 48) * _WEIGHTS[i]
    return _CHECK[total % 11]


def _self_check() -> None:
    try:
        from stdnum.cn import ric
    except ImportError:  # pragma: no cover - stdnum is optional at run time
        return
    for body in ("43072519780315123", "43072520160229004", "43072519331231999"):
        # stdnum's calc_check_digit ignores the last character (the check digit slot)
        assert ric.calc_check_digit(body + "0") == check_digit(body), body


# --------------------------------------------------------------------------------------------
# Deterministic xlsx saving
# --------------------------------------------------------------------------------------------


class _FixedZip(zipfile.ZipFile):
    """ZipFile whose entries all carry one fixed timestamp, so equal content → equal bytes."""

    _stamp = FIXED_TIME.timetuple()[:6]

    def _info(self, arcname: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(arcname, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        info = self._info(arcname or os.path.basename(filename))
        info.file_size = os.path.getsize(filename)  # lets zipfile decide on zip64 up front
        with open(filename, "rb") as src, self.open(info, "w") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def save_deterministic(wb: Workbook, path: str) -> None:
    wb.properties.creator = "bench/gen_roster.py"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    tmp = path + ".tmp"
    with _FixedZip(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
# Sinks: xlsx (openpyxl write-only) or csv
# --------------------------------------------------------------------------------------------


class XlsxSink:
    def __init__(self, path: str, hidden_instructions: bool, title: str):
        self.path = path
        self.wb = Workbook(write_only=True)
        self.wb.properties.title = title
        if hidden_instructions:
            notes = self.wb.create_sheet(INSTRUCTIONS_SHEET)
            notes.sheet_state = "hidden"
            for line in INSTRUCTIONS:
                notes.append([line])
        self.ws = self.wb.create_sheet(SHEET)
        self.wb.active = len(self.wb.worksheets) - 1
        self.append = self.ws.append

    def close(self) -> None:
        save_deterministic(self.wb, self.path)


class CsvSink:
    def __init__(self, path: str, encoding: str):
        self.fh = open(path, "w", encoding=encoding, newline="")
        self.writer = csv.writer(self.fh, lineterminator="\r\n")

    def append(self, row) -> None:
        out = []
        for v in row:
            if v is None:
                out.append("")
            elif isinstance(v, float) and v >= 1e15:  # an ID typed as a number, as Excel exports it
                out.append(f"{v:.5E}")
            else:
                out.append(v)
        self.writer.writerow(out)

    def close(self) -> None:
        self.fh.close()


class NullSink:
    def append(self, row) -> None:
        pass

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------------------------


def allocate(total: int, weights: list[float], minimum: int = 1) -> list[int]:
    """Split ``total`` over ``weights`` (each at least ``minimum``), largest remainder, stable."""
    n = len(weights)
    rest = total - n * minimum
    if rest < 0:
        raise ValueError(f"cannot give {n} parts at least {minimum} each out of {total}")
    wsum = sum(weights)
    shares = [rest * w / wsum for w in weights]
    counts = [minimum + int(s) for s in shares]
    left = total - sum(counts)
    order = sorted(range(n), key=lambda i: (-(shares[i] - int(shares[i])), i))
    for i in order[:left]:
        counts[i] += 1
    return counts


def village_names(count: int, rng: random.Random) -> list[str]:
    names = [f"{s}村" for s in VILLAGE_FIRST]
    combos = [a + b for a in VILLAGE_A for b in VILLAGE_B]
    rng.shuffle(combos)
    seen = set(names)
    for c in combos:
        if len(names) >= count:
            break
        name = f"{c}村"
        if name not in seen:
            seen.add(name)
            names.append(name)
    if len(names) < count:
        raise ValueError(f"at most {len(names)} villages")
    return names[:count]


class Village:
    __slots__ = (
        "town_no",
        "town",
        "no",
        "name",
        "code",
        "hid_prefix",
        "households",
        "groups",
        "poor",
        "relocation",
        "persons",
        "hh_done",
    )

    def __init__(self, town_no, town, no, name):
        self.town_no, self.town, self.no, self.name = town_no, town, no, name
        self.code = f"{COUNTY_CODE}{100 + town_no}{200 + no}"
        self.hid_prefix = f"{COUNTY_CODE}{town_no:02d}{no:02d}"
        self.households = 0
        self.groups = 1
        self.poor = False
        self.relocation = False
        self.persons = 0
        self.hh_done = 0


def build_geography(townships: int, villages: int, households: int, seed: int) -> list[Village]:
    if not 1 <= townships <= len(TOWNSHIPS):
        raise ValueError(f"--townships must be 1..{len(TOWNSHIPS)}")
    if villages < townships:
        raise ValueError("--villages must be at least --townships")
    if households < villages:
        raise ValueError("--households must be at least --villages (every village gets one)")
    rng = random.Random(f"{seed}:geo")
    per_town = allocate(villages, [rng.uniform(0.7, 1.3) for _ in range(townships)])
    if max(per_town) > 99:
        raise ValueError("at most 99 villages per township")
    names = village_names(villages, rng)
    out: list[Village] = []
    k = 0
    for t, n in enumerate(per_town, 1):
        for v in range(1, n + 1):
            out.append(Village(t, TOWNSHIPS[t - 1], v, names[k]))
            k += 1
    counts = allocate(households, [rng.uniform(0.6, 1.4) for _ in out])
    for vil, c in zip(out, counts, strict=True):
        vil.households = c
        vil.groups = min(c, rng.randint(5, 15))
        vil.relocation = rng.random() < 0.08
    # poor villages: ~14.6 % (66 of 451), at least one per township
    target = max(townships, round(villages * 66 / 451))
    by_town: dict[int, list[Village]] = {}
    for vil in out:
        by_town.setdefault(vil.town_no, []).append(vil)
    for t in sorted(by_town):
        rng.choice(by_town[t]).poor = True
    rest = [v for v in out if not v.poor]
    for vil in rng.sample(rest, min(len(rest), target - townships)):
        vil.poor = True
    return out


class Generator:
    def __init__(self, args):
        self.args = args
        self.year = args.year
        self.seed = args.seed
        self.rng = random.Random(f"{args.seed}:people")
        self.ids: set[str] = set()
        self.year_ord = {}
        self.ref = dt.date(self.year, 12, 31)
        self.phone_prefixes = (
            "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 "
            "158 159 173 176 177 180 181 182 183 186 187 188 189 199"
        ).split()

    # -- people ---------------------------------------------------------------------------
    def name(self, sex: str, surname: str | None = None) -> str:
        r = self.rng
        s = surname or SURNAMES[int(r.random() * len(SURNAMES))]
        pool = MALE_CHARS if sex == "男" else FEMALE_CHARS
        if r.random() < 0.8:
            return s + pool[int(r.random() * len(pool))] + pool[int(r.random() * len(pool))]
        return s + pool[int(r.random() * len(pool))]

    def birth(self, age: int) -> str:
        y = self.year - age
        base = self.year_ord.get(y)
        if base is None:
            base = self.year_ord[y] = (
                dt.date(y, 1, 1).toordinal(),
                366 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 365,
            )
        first, days = base
        if y == self.year:
            days = min(days, self.ref.toordinal() - first + 1)
        return dt.date.fromordinal(first + int(self.rng.random() * days)).isoformat()

    def new_id(self, birth: str, male: bool) -> str:
        date = birth[0:4] + birth[5:7] + birth[8:10]
        r = self.rng
        while True:
            seq = int(r.random() * 500) * 2 + (1 if male else 0)
            body = f"{COUNTY_CODE}{date}{seq:03d}"
            if body not in self.ids:
                self.ids.add(body)
                return body + check_digit(body)

    def person(self, name: str, sex: str, rel: str, age: int) -> list:
        r = self.rng
        birth = self.birth(age)
        pid = self.new_id(birth, sex == "男")
        # health
        x = r.random()
        if x < 0.03:
            health = "残疾"
        elif x < 0.03 + 0.015 + age * 0.0004:
            health = "患有大病"
        elif x < 0.05 + age * 0.0035:
            health = "长期慢性病"
        else:
            health = "健康"
        # education / school
        school = "非在校生"
        x = r.random()
        if age < 3:
            edu = "学龄前儿童"
        elif age < 6:
            edu = "学龄前儿童"
            if x < 0.8:
                school = "学前教育"
        elif age < 12:
            edu, school = "小学", "小学"
        elif age < 15:
            edu, school = "小学", ("七年级", "八年级", "九年级")[age - 12]
        elif age < 18:
            if x < 0.65:
                edu, school = "初中", ("高中一年级", "高中二年级", "高中三年级")[age - 15]
            elif x < 0.8 and age == 15:
                edu, school = "初中", "中职一年级"
            else:
                edu = "初中"
        elif age < 22 and x < 0.3:
            edu, school = "高中", "大专及以上"
        elif age < 40:
            edu = ("文盲或半文盲", "小学", "初中", "高中", "大专及以上")[
                _pick(x, (0.02, 0.12, 0.62, 0.87))
            ]
        elif age < 60:
            edu = ("文盲或半文盲", "小学", "初中", "高中", "大专及以上")[
                _pick(x, (0.08, 0.43, 0.88, 0.98))
            ]
        else:
            edu = ("文盲或半文盲", "小学", "初中", "高中", "大专及以上")[
                _pick(x, (0.30, 0.75, 0.95, 0.995))
            ]
        # labour
        x = r.random()
        sick = health in ("患有大病", "残疾")
        if age < 16 or school != "非在校生":
            labour = "无劳动力"
        elif age > 65:
            labour = "丧失劳动力" if sick and x < 0.3 else "无劳动力"
        elif sick and x < 0.7:
            labour = "丧失劳动力"
        elif age > 60 and x < 0.5:
            labour = "无劳动力"
        else:
            labour = "技能劳动力" if x > 0.8 else "普通劳动力"
        work = None
        if labour in ("普通劳动力", "技能劳动力"):
            x = r.random()
            if x < 0.95:
                work = ("乡内务工", "乡外县内务工", "县外省内务工", "省外务工", "其他")[
                    _pick(x / 0.95, (0.15, 0.30, 0.50, 0.80))
                ]
        return [name, pid, sex, rel, birth, edu, school, health, labour, work]

    def household_people(self, size: int) -> list[list]:
        r = self.rng
        male_head = r.random() < 0.85
        hsex, osex = ("男", "女") if male_head else ("女", "男")
        head_age = r.randint(45, 88) if size == 1 else r.randint(28, 80)
        surname = SURNAMES[int(r.random() * len(SURNAMES))]
        people = [self.person(self.name(hsex, surname), hsex, "户主", head_age)]
        left = size - 1
        if left and r.random() < 0.88:
            age = max(20, min(95, head_age + r.randint(-6, 4) * (1 if male_head else -1)))
            people.append(self.person(self.name(osex), osex, "配偶", age))
            left -= 1
        if left >= 2 and head_age >= 58:  # three generations: married son + grandchildren
            son_age = max(20, head_age - r.randint(22, 32))
            people.append(self.person(self.name("男", surname), "男", "之子", son_age))
            people.append(
                self.person(self.name("女"), "女", "之儿媳", max(20, son_age + r.randint(-4, 3)))
            )
            left -= 2
            top = max(0, min(son_age - 20, 25))
            for _ in range(left):
                sex = "男" if r.random() < 0.53 else "女"
                rel = "之孙子" if sex == "男" else "之孙女"
                people.append(self.person(self.name(sex, surname), sex, rel, r.randint(0, top)))
            return people
        if left >= 3 and head_age < 50 and r.random() < 0.5:
            people.append(
                self.person(self.name("女"), "女", "之母", min(95, head_age + r.randint(22, 32)))
            )
            left -= 1
            if left >= 3 and r.random() < 0.6:
                people.append(
                    self.person(
                        self.name("男", surname),
                        "男",
                        "之父",
                        min(95, head_age + r.randint(24, 34)),
                    )
                )
                left -= 1
        lo, hi = max(0, head_age - 45), max(0, head_age - 20)
        for _ in range(left):
            if r.random() < 0.01:
                sex = "男" if r.random() < 0.5 else "女"
                people.append(self.person(self.name(sex), sex, "其他", r.randint(5, 70)))
                continue
            sex = "男" if r.random() < 0.53 else "女"
            rel = "之子" if sex == "男" else "之女"
            people.append(self.person(self.name(sex, surname), sex, rel, r.randint(lo, hi)))
        return people

    def household_fields(self, vil: Village, people: list[list]) -> list:
        """Columns 家庭年人均纯收入(元) … 联系电话."""
        r = self.rng
        n = len(people)
        able = sum(1 for p in people if p[8] in ("普通劳动力", "技能劳动力"))
        mu = 8.235 + 0.35 * (able / n - 0.4) - (0.12 if vil.poor else 0.0)
        income = max(300, int(math.exp(r.gauss(mu, 0.5))))
        low = income < POVERTY_LINE_2016
        x = r.random()
        safe = 0.72 if low else 0.9
        if x < safe:
            housing = "安全"
        elif x < safe + (1 - safe) * 0.55:
            housing = "危房C级"
        elif x < safe + (1 - safe) * 0.88:
            housing = "危房D级"
        else:
            housing = "无房"
        area = 0.0 if housing == "无房" else round(r.uniform(35, 60 + 30 * n), 1)
        land = 0.0 if r.random() < 0.04 else round(r.uniform(0.3, 1.3) * n, 1)
        wubao = n == 1 and people[0][8] in ("无劳动力", "丧失劳动力") and r.random() < 0.5
        dibao = not wubao and r.random() < (0.28 if low else 0.04)
        reloc = vil.relocation and r.random() < 0.5
        civil = r.random() < 0.02
        vehicle = r.random() < (0.02 if low else 0.06)
        townhouse = r.random() < (0.01 if low else 0.04)
        business = r.random() < 0.01
        phone = None
        if r.random() < 0.95:
            phone = (
                self.phone_prefixes[int(r.random() * len(self.phone_prefixes))]
                + f"{int(r.random() * 100000000):08d}"
            )
        yn = ("否", "是")
        return [
            income,
            housing,
            area,
            land,
            yn[dibao],
            yn[wubao],
            yn[reloc],
            yn[civil],
            yn[vehicle],
            yn[townhouse],
            yn[business],
            phone,
        ]


def _pick(x: float, cuts: tuple) -> int:
    for i, c in enumerate(cuts):
        if x < c:
            return i
    return len(cuts)


def _to_codes(row: list) -> None:
    row[C_REL] = CODES.get(row[C_REL], row[C_REL])
    row[C_EDU] = CODES[row[C_EDU]]
    row[C_SCHOOL] = SCHOOL_CODES[row[C_SCHOOL]]
    row[C_HEALTH] = CODES[row[C_HEALTH]]
    row[C_LABOUR] = CODES[row[C_LABOUR]]
    if row[C_WORK] is not None:
        row[C_WORK] = WORK_CODES[row[C_WORK]]


def plan_faults(sizes: list[int], count: int, seed: int) -> dict[int, str]:
    """Household index → fault kind; kinds cycle in FAULT_KINDS order over the picks."""
    if count <= 0:
        return {}
    rng = random.Random(f"{seed}:faults")
    order = list(range(1, len(sizes)))  # household 0 stays clean (a duplicate-ID source)
    rng.shuffle(order)
    used: set[int] = set()
    plan: dict[int, str] = {}
    for k in range(count):
        kind = FAULT_KINDS[k % len(FAULT_KINDS)]
        for i in order:
            if i not in used and (kind not in NEEDS_MEMBER or sizes[i] >= 2):
                used.add(i)
                plan[i] = kind
                break
        else:
            raise ValueError(f"--faults {count}: not enough households for fault '{kind}'")
    return plan


def apply_fault(kind, rows, rng, gen, dup_source, start_row):
    """Mutate the household's rows in place; return the manifest record."""
    n = len(rows)
    rec: dict = {"kind": kind}

    def at(i, col, old, new):
        rec.update(row=start_row + i, column=HEADER[col], original=old, value=new)

    if kind == "bad_check_digit":
        i = rng.randrange(n)
        old = rows[i][C_ID]
        new = old[:17] + rng.choice([c for c in "0123456789X" if c != old[17]])
        rows[i][C_ID] = new
        at(i, C_ID, old, new)
    elif kind == "id_as_number":
        cands = [i for i in range(n) if not rows[i][C_ID].endswith("X")]
        if not cands:  # every ID ends in X: re-number the head with the fault stream
            old = rows[0][C_ID]
            male = int(old[16]) % 2
            while True:
                body = old[:14] + f"{rng.randrange(500) * 2 + male:03d}"
                if body not in gen.ids and check_digit(body) != "X":
                    gen.ids.add(body)
                    rows[0][C_ID] = body + check_digit(body)
                    break
            cands = [0]
        i = rng.choice(cands)
        old = rows[i][C_ID]
        rows[i][C_ID] = float(int(old))
        at(i, C_ID, old, rows[i][C_ID])
    elif kind == "unknown_code":
        i = rng.randrange(n)
        old = rows[i][C_HEALTH]
        rows[i][C_HEALTH] = "良好"
        at(i, C_HEALTH, old, "良好")
    elif kind == "missing_head":
        old = rows[0][C_REL]
        rows[0][C_REL] = "之子"
        at(0, C_REL, old, "之子")
    elif kind == "two_heads":
        i = rng.randrange(1, n)
        old = rows[i][C_REL]
        rows[i][C_REL] = "户主"
        at(i, C_REL, old, "户主")
    elif kind == "head_name_mismatch":
        old = rows[0][C_HEAD]
        new = old
        while new == old:
            new = old[0] + rng.choice(MALE_CHARS) + rng.choice(MALE_CHARS)
        for row in rows:
            row[C_HEAD] = new
        at(0, C_HEAD, old, new)
        rec["rows"] = [start_row + i for i in range(n)]
    elif kind == "duplicate_id":
        src_hid, src_row_no, src = dup_source
        i = n - 1
        old = rows[i][C_ID]
        for col in (C_NAME, C_ID, C_SEX, C_BIRTH, C_EDU, C_SCHOOL, C_HEALTH, C_LABOUR, C_WORK):
            rows[i][col] = src[col]
        at(i, C_ID, old, src[C_ID])
        rec.update(duplicate_of=src_hid, duplicate_row=src_row_no)
    elif kind == "member_field_conflict":
        i = rng.randrange(1, n)
        head_income = rows[0][C_INCOME]
        new = head_income + rng.choice((-400, -200, -100, 100, 300, 500, 800))
        if new <= 0:
            new = head_income + 500
        old = rows[i][C_INCOME]
        rows[i][C_INCOME] = new
        at(i, C_INCOME, old, new)
        rec["household_value"] = head_income
    elif kind == "sex_mismatch":
        i = rng.randrange(n)
        old = rows[i][C_SEX]
        rows[i][C_SEX] = "女" if old == "男" else "男"
        at(i, C_SEX, old, rows[i][C_SEX])
    else:  # pragma: no cover
        raise AssertionError(kind)
    return rec


def generate(args, sink) -> dict:
    villages = build_geography(args.townships, args.villages, args.households, args.seed)
    size_rng = random.Random(f"{args.seed}:sizes")
    sizes = size_rng.choices(range(1, 8), weights=(11, 20, 26, 22, 12, 6, 3), k=args.households)
    plan = plan_faults(sizes, args.faults, args.seed)
    fault_rng = random.Random(f"{args.seed}:fault-values")
    layout_rng = random.Random(f"{args.seed}:layout")
    blank_after: set[int] = set()
    if args.blank_rows and args.households > 1:
        k = min(12, max(2, args.households // 60), args.households - 1)
        blank_after = set(layout_rng.sample(range(args.households - 1), k))

    gen = Generator(args)
    width = max(3, len(str(max(v.households for v in villages))))
    row_no = 0
    manifest_faults: list[dict] = []
    blank_rows: list[int] = []
    subtotal_rows: list[int] = []
    styles = {"repeat": 0, "blank_hid": 0, "codes": 0}
    dup_source = None  # (hid, row number, row) of a person in the latest clean household
    persons = 0
    hh_index = 0

    def emit(row):
        nonlocal row_no
        sink.append(row)
        row_no += 1

    if args.title:
        emit([TITLE])
    emit(list(HEADER))
    header_row = row_no
    for vil in villages:
        v_persons = 0
        v_area = 0.0
        v_land = 0.0
        for s in range(1, vil.households + 1):
            i = hh_index
            hh_index += 1
            people = gen.household_people(sizes[i])
            hh = gen.household_fields(vil, people)
            r = gen.rng.random()
            style = "repeat" if r < 0.10 else "blank_hid" if r < 0.30 else "plain"
            use_codes = gen.rng.random() < 0.03
            hid = f"{vil.hid_prefix}{s:0{width}d}"
            group = 1 + (s - 1) * vil.groups // vil.households
            head_name = people[0][0]
            geo = [vil.town, vil.name, group]
            rows = []
            for k, p in enumerate(people):
                if k == 0 or style == "repeat":
                    row = geo + [hid] + p + [head_name] + hh
                else:
                    row = (
                        [None, None, None, None if style == "blank_hid" else hid]
                        + p
                        + [head_name]
                        + [None] * len(hh)
                    )
                if use_codes:
                    _to_codes(row)
                rows.append(row)
            if style != "plain":
                styles[style] += 1
            styles["codes"] += use_codes
            kind = plan.get(i)
            start = row_no + 1
            if kind:
                rec = apply_fault(kind, rows, fault_rng, gen, dup_source, start)
                manifest_faults.append({"household": hid, "first_row": start, **rec})
            else:
                pick = len(rows) - 1
                dup_source = (hid, start + pick, list(rows[pick]))
            for row in rows:
                emit(row)
            n = len(people)
            persons += n
            v_persons += n
            v_area += hh[2]
            v_land += hh[3]
            if i in blank_after:
                emit([None] * len(HEADER))
                blank_rows.append(row_no)
        vil.persons = v_persons
        if args.subtotals:
            row = [None] * len(HEADER)
            row[C_TOWN] = "合计"
            row[C_VILLAGE] = vil.name
            row[C_NAME] = f"{vil.households}户{v_persons}人"
            row[C_INCOME + 2] = round(v_area, 1)
            row[C_INCOME + 3] = round(v_land, 1)
            emit(row)
            subtotal_rows.append(row_no)
    sink.close()
    return {
        "generator": "bench/gen_roster.py",
        "args": {
            k: v for k, v in vars(args).items() if k not in ("output", "manifest", "villages_out")
        },
        "sheet": SHEET,
        "header_row": header_row,
        "households": args.households,
        "persons": persons,
        "rows": row_no,
        "townships": args.townships,
        "villages": len(villages),
        "household_styles": styles,
        "faults": manifest_faults,
        "blank_rows": blank_rows,
        "subtotal_rows": subtotal_rows,
        "_villages": villages,
    }


def write_villages(path: str, villages: list[Village], seed: int, year: int) -> None:
    rng = random.Random(f"{seed}:village-facts")
    wb = Workbook(write_only=True)
    wb.properties.title = f"{COUNTY_NAME}村情表"
    ws = wb.create_sheet(VILLAGE_SHEET)
    ws.append(VILLAGE_HEADER)
    for v in villages:
        agri = v.persons
        registered = round(agri * rng.uniform(1.08, 1.28))
        if v.poor:
            income = 0 if rng.random() < 0.4 else int(rng.uniform(5_000, 50_000))
            p = (0.7, 0.85, 0.65, 0.4, 0.6, 0.85, 0.5)
        else:
            income = int(rng.uniform(30_000, 500_000))
            p = (0.95, 0.99, 0.93, 0.8, 0.9, 0.97, 0.85)
        flags = ["是" if rng.random() < q else "否" for q in p]
        ws.append(
            [
                v.town,
                v.name,
                v.code,
                "是" if v.poor else "否",
                registered,
                agri,
                income,
                "是" if v.relocation else "否",
                *flags,
                year,
            ]
        )
    save_deterministic(wb, path)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description="Generate a deterministic synthetic 精准扶贫 roster (花名册) for 桃源县 (430725)."
    )
    ap.add_argument("-o", "--output", help="roster file, .xlsx or .csv")
    ap.add_argument(
        "--households", type=int, default=300, help="number of households (default 300)"
    )
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument(
        "--townships",
        type=int,
        help="townships (max 40; default scales with --villages, 40 at county scale)",
    )
    ap.add_argument(
        "--villages",
        type=int,
        help="villages in the county (county: 451; default min(451, households/50))",
    )
    ap.add_argument(
        "--faults",
        type=int,
        default=0,
        help="exactly N faulty households, one fault each, kinds cycling: "
        + ", ".join(FAULT_KINDS),
    )
    ap.add_argument("--blank-rows", action="store_true", help="insert a few fully blank rows")
    ap.add_argument("--subtotals", action="store_true", help="insert a 合计 row after each village")
    ap.add_argument("--title", action="store_true", help=f"title row '{TITLE}' above the header")
    ap.add_argument(
        "--hidden-instructions",
        action="store_true",
        help=f"xlsx only: a hidden sheet '{INSTRUCTIONS_SHEET}' before the data sheet",
    )
    ap.add_argument("--villages-out", help="also write the matching villages workbook (.xlsx)")
    ap.add_argument("--manifest", help="write a JSON sidecar listing the faulty households")
    ap.add_argument(
        "--encoding",
        default="utf-8-sig",
        help="csv only: utf-8-sig (default, UTF-8 with BOM) or gb18030",
    )
    ap.add_argument("--year", type=int, default=2016, help="roster year (ages as of 31 Dec; 2016)")
    args = ap.parse_args(argv)
    if not args.output and not args.villages_out:
        ap.error("give -o/--output and/or --villages-out")
    if args.households < 1:
        ap.error("--households must be positive")
    if args.villages is None:
        args.villages = max(1, min(451, args.households // 50))
        if args.townships is not None:
            args.villages = max(args.villages, args.townships)
    if args.townships is None:
        args.townships = max(1, min(40, round(args.villages * 40 / 451)))
    if args.villages_out and not args.villages_out.lower().endswith(".xlsx"):
        ap.error("--villages-out must be an .xlsx path")
    if args.output:
        ext = os.path.splitext(args.output)[1].lower()
        if ext not in (".xlsx", ".csv"):
            ap.error("-o must end in .xlsx or .csv")
        if ext == ".csv" and args.hidden_instructions:
            ap.error("--hidden-instructions needs an .xlsx output")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    _self_check()
    t0 = time.perf_counter()
    if not args.output:
        sink = NullSink()
    elif args.output.lower().endswith(".csv"):
        sink = CsvSink(args.output, args.encoding)
    else:
        sink = XlsxSink(args.output, args.hidden_instructions, TITLE)
    try:
        info = generate(args, sink)
    except ValueError as exc:
        print(f"gen_roster: {exc}", file=sys.stderr)
        return 2
    villages = info.pop("_villages")
    if args.villages_out:
        write_villages(args.villages_out, villages, args.seed, args.year)
    if args.manifest:
        with open(args.manifest, "w", encoding="utf-8") as fh:
            json.dump(info, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
    took = time.perf_counter() - t0
    print(
        f"gen_roster: {info['households']} households, {info['persons']} persons, "
        f"{info['rows']} rows, {info['villages']} villages in {info['townships']} townships, "
        f"{len(info['faults'])} faults, {took:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
