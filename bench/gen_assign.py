#!/usr/bin/env python3
"""Deterministic synthetic cadres, work-team and visit-log sheets for a fupin register.

Reads the townships, villages and households (and, for visits, the pairs in force) straight from
an existing register with sqlite3, and writes the spreadsheets ``fupin assign cadres|teams|visits``
import. Standalone on purpose: standard library + openpyxl + python-stdnum (for valid 统一社会信用代码),
plus the name pools and deterministic xlsx writer of ``gen_roster.py`` beside it. It does not
import ``fupin_cli``.

Examples::

    python bench/gen_assign.py --db fupin.db --cadres cadres.xlsx --teams teams.xlsx
    fupin assign cadres cadres.xlsx && fupin assign teams teams.xlsx && fupin assign pair
    python bench/gen_assign.py --db fupin.db --visits visits.xlsx --as-of 2016-09-30 --bad 4
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sqlite3
import sys
from pathlib import Path

from openpyxl import Workbook
from stdnum.cn import uscc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_roster import (  # noqa: E402
    FEMALE_CHARS,
    MALE_CHARS,
    SURNAMES,
    allocate,
    check_digit,
    save_deterministic,
)

REGISTERED = ("已识别", "预脱贫", "返贫")
STUDENT_LEVELS = (
    "小学 七年级 八年级 九年级 高中一年级 高中二年级 高中三年级 中职一年级 中职二年级 中职三年级 "
    "高职一年级 高职二年级 高职三年级 大专及以上"
).split()
CADRE_HEADER = [
    "姓名",
    "工号",
    "身份证号",
    "单位",
    "职级",
    "所在乡镇",
    "是否教师",
    "联系电话",
    "在岗",
]
TEAM_HEADER = [
    "乡镇",
    "村",
    "队长",
    "队长级别",
    "第一书记",
    "后盾单位",
    "联村企业",
    "企业信用代码",
    "开始日期",
    "结束日期",
]
VISIT_HEADER = [
    "日期",
    "干部",
    "户编号",
    "类型",
    "慰问金(元)",
    "物资折价(元)",
    "办实事件数",
    "问题",
    "是否解决",
]
MUNICIPAL_UNITS = [
    "常德市" + u
    for u in (
        "扶贫开发办公室 发展和改革委员会 财政局 教育局 农业委员会 林业局 水利局 交通运输局 "
        "卫生和计划生育委员会 民政局 人力资源和社会保障局 国土资源局 住房和城乡建设局 商务局 "
        "统计局"
    ).split()
]
COUNTY_UNITS = [
    "桃源县" + u
    for u in (
        "扶贫开发办公室 发展和改革局 财政局 教育局 农业局 林业局 水利局 交通运输局 卫生和计划生育局 "
        "民政局 人力资源和社会保障局 国土资源局 住房和城乡建设局 商务局 统计局 审计局 公安局 司法局 "
        "环境保护局 文体广电新闻出版局 科学技术局 经济和信息化局 畜牧水产局 农业机械管理局 粮食局 "
        "供销合作社 工商行政管理局 质量技术监督局 食品药品监督管理局 安全生产监督管理局 旅游局 "
        "城市管理局 规划局 房产局 人民法院 人民检察院 委办公室 人民政府办公室 委组织部 委宣传部 "
        "委统战部 委政法委员会 纪律检查委员会 人大常委会办公室 政协办公室 团县委 妇女联合会 总工会 "
        "残疾人联合会 科学技术协会 委党校 档案局 气象局 国家税务局 地方税务局 烟草专卖局 人民医院 "
        "中医医院 妇幼保健院 疾病预防控制中心 第一中学 第九中学 职业中专 农村商业银行 电力公司"
    ).split()
]
ENTERPRISES = (
    "湖南桃花源农业开发有限公司 桃源县野茶王茶业有限公司 湖南百尼茶庵茶业有限公司 桃源县鸡公山油茶"
    "开发有限公司 湖南沅江生态农业有限公司 桃源县大叶茶叶专业合作社 湖南桃源铝业有限公司 桃源县"
    "金穗米业有限公司 湖南富民竹木制品有限公司 桃源县五强溪旅游开发有限公司 湖南桃源黑猪养殖有限公司 "
    "桃源县红心猕猴桃种植有限公司 湖南湘北柑橘产业有限公司 桃源县乡村旅游发展有限公司 湖南鑫源矿业"
    "有限公司 桃源县漳江建材有限公司 湖南中联重科桃源分公司 桃源县农家乐餐饮有限公司 湖南沅澧电商"
    "有限公司 桃源县楠竹加工有限公司 湖南桃源酒业有限公司 桃源县茶油加工厂有限公司 湖南夷望溪水电"
    "有限公司 桃源县生态养殖有限公司 湖南桃源纺织有限公司 桃源县光伏发电有限公司 湖南兴桃食品"
    "有限公司 桃源县蔬菜产销有限公司 湖南常德烟叶有限公司 桃源县药材种植有限公司"
).split()
PROBLEMS = [
    "房屋漏雨需维修",
    "孩子上学费用困难",
    "看病报销手续不清楚",
    "想参加技能培训",
    "缺少产业启动资金",
    "饮水不稳定",
    "申请小额信贷",
    "希望外出务工介绍",
    "低保待遇咨询",
    "危房改造进度",
    "道路泥泞出行难",
    "农产品销路不畅",
]
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
PHONE_PREFIXES = "130 131 133 135 136 137 138 139 150 151 152 158 159 173 180 186 187 189".split()


class Names:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        r = self.rng
        male = r.random() < 0.6
        pool = MALE_CHARS if male else FEMALE_CHARS
        s = SURNAMES[int(r.random() * len(SURNAMES))]
        n = 2 if r.random() < 0.8 else 1
        return s + "".join(pool[int(r.random() * len(pool))] for _ in range(n))


def id_number(rng: random.Random, seen: set[str]) -> str:
    while True:
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 35))
        body = f"430725{birth:%Y%m%d}{rng.randrange(1000):03d}"
        number = body + check_digit(body)
        if number not in seen:
            seen.add(number)
            return number


def phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def credit_code(rng: random.Random, seen: set[str]) -> str:
    """A valid 统一社会信用代码: 9 (工商) 1 (企业), 430725, a 9-character organisation code (GB 11714,
    check digit included), then the MOD 31 check character."""
    while True:
        org = f"{rng.randrange(10**8):08d}"
        check = (11 - sum(int(c) * w for c, w in zip(org, ORG_WEIGHTS, strict=True)) % 11) % 11
        if check == 10:
            continue  # would be 'X'; keep the synthetic codes all digits
        body = f"91430725{org}{check}"
        code = body + uscc.calc_check_digit(body)
        if uscc.is_valid(code) and code not in seen:
            seen.add(code)
            return code


def demand(db: sqlite3.Connection) -> list[tuple[int, str, int]]:
    """(township id, name, households + students to pair) for every township."""
    q = ",".join("?" * len(REGISTERED))
    hh = dict(
        db.execute(
            f"SELECT v.township_id, count(*) FROM household h JOIN village v ON v.id = h.village_id "
            f"WHERE h.status IN ({q}) GROUP BY 1",
            REGISTERED,
        ).fetchall()
    )
    st = dict(
        db.execute(
            f"SELECT v.township_id, count(*) FROM person p JOIN household h ON h.id = p.household_id "
            f"JOIN village v ON v.id = h.village_id WHERE h.status IN ({q}) "
            f"AND p.school_status IN ({','.join('?' * len(STUDENT_LEVELS))}) GROUP BY 1",
            (*REGISTERED, *STUDENT_LEVELS),
        ).fetchall()
    )
    return [
        (tid, name, hh.get(tid, 0) + st.get(tid, 0))
        for tid, name in db.execute("SELECT id, name FROM township ORDER BY id")
    ]


def cadres(db: sqlite3.Connection, count: int | None, rng: random.Random) -> list[list]:
    towns = demand(db)
    total = sum(d for _t, _n, d in towns)
    n = count or max(len(towns) * 3, math.ceil(total / 3.3))
    name = Names(rng)
    seen_ids: set[str] = set()
    rows = []
    # ~30% teachers and ~35% township cadres spread by need; the rest county and municipal staff
    teachers, township_staff = round(n * 0.30), round(n * 0.35)
    municipal = max(1, round(n * 0.02)) if n >= 20 else 0
    county = n - teachers - township_staff - municipal
    weights = [max(d, 1) for _t, _n, d in towns]
    staff_no = iter(range(1, 10**6))

    def row(unit, rank, township, teacher) -> list:
        no = next(staff_no)
        idn = id_number(rng, seen_ids)
        kind = rng.random()
        key_staff = f"TY{no:05d}" if kind < 0.9 else ""
        key_id = idn if kind >= 0.75 else ""
        return [
            name(),
            key_staff,
            key_id,
            unit,
            rank,
            township,
            "是" if teacher else "否",
            phone(rng),
            "是",
        ]

    for (_tid, town, _d), k in zip(towns, allocate(teachers, weights, 0), strict=True):
        rows += [row(f"{town}中心学校", "教师", town, True) for _ in range(k)]
    for (_tid, town, _d), k in zip(towns, allocate(township_staff, weights, 0), strict=True):
        rows += [
            row(f"{town}人民政府", "科级干部" if rng.random() < 0.25 else "一般干部", town, False)
            for _ in range(k)
        ]
    for i in range(county):
        unit = COUNTY_UNITS[i % len(COUNTY_UNITS)]
        r = rng.random()
        rank = "县级领导" if r < 0.05 else "科级干部" if r < 0.35 else "一般干部"
        rows.append(row(unit, rank, "", False))
    for i in range(municipal):
        unit = MUNICIPAL_UNITS[i % len(MUNICIPAL_UNITS)]
        rows.append(row(unit, "市级领导" if i % 4 == 0 else "科级干部", "", False))
    return rows


def teams(db: sqlite3.Connection, rng: random.Random) -> list[list]:
    name = Names(rng)
    seen_codes: set[str] = set()
    villages = db.execute(
        "SELECT t.name, v.name, v.code FROM village v JOIN township t ON t.id = v.township_id "
        "WHERE v.is_poor ORDER BY v.id"
    ).fetchall()
    units = MUNICIPAL_UNITS + COUNTY_UNITS
    rows = []
    paired = 0
    for i, (town, village, code) in enumerate(villages):
        r = rng.random()
        level = "市级" if r < 0.03 else "县级" if r < 0.44 else "乡镇"
        backing = [units[(i * 2 + k) % len(units)] for k in range(1 + (i % 3 == 0) + (i % 7 == 0))]
        # about two villages in five have an enterprise of their own (one to one)
        enterprise = ""
        if i % 5 in (0, 2) and paired < len(ENTERPRISES):
            enterprise, paired = ENTERPRISES[paired], paired + 1
        rows.append(
            [
                town,
                code or village,
                name(),
                level,
                name(),
                "、".join(backing),
                enterprise,
                credit_code(rng, seen_codes) if enterprise else "",
                "2015-03-01",
                "",
            ]
        )
    return rows


def visits(
    db: sqlite3.Connection, as_of: dt.date, bad: int, unpaired: int, rng: random.Random
) -> list[list]:
    days = 90
    pairs = db.execute(
        "SELECT c.id, c.name, c.staff_no, c.id_number, h.household_no FROM pairing p "
        "JOIN cadre c ON c.id = p.cadre_id JOIN household h ON h.id = p.household_id "
        "WHERE p.kind = 'household' AND p.end_date IS NULL ORDER BY p.id"
    ).fetchall()
    if not pairs:
        raise SystemExit("no pairs in force: run 'fupin assign pair' before generating visits")
    name_count: dict[str, int] = {}
    for (n,) in db.execute("SELECT name FROM cadre"):
        name_count[n] = name_count.get(n, 0) + 1

    def who(cname: str, staff: str | None, idn: str | None) -> str:
        r = rng.random()
        if r < 0.15 and name_count.get(cname) == 1:
            return cname
        if staff and (r < 0.9 or not idn):
            return staff
        return idn or cname

    rows = []
    for _cid, cname, staff, idn, no in pairs:
        if rng.random() < 0.05:
            continue  # a household nobody visited lately
        for _ in range(1 + (rng.random() < 0.5) + (rng.random() < 0.2)):
            date = as_of - dt.timedelta(days=rng.randrange(days))
            r = rng.random()
            kind = "走访" if r < 0.6 else "慰问" if r < 0.8 else "办实事" if r < 0.95 else "宣讲"
            money = rng.choice((200, 300, 500, 800, 1000)) if kind == "慰问" else ""
            goods = rng.choice((0, 100, 150, 300)) if kind == "慰问" else ""
            deeds = 1 + (rng.random() < 0.3) if kind == "办实事" else ""
            problem = rng.choice(PROBLEMS) if rng.random() < 0.3 else ""
            solved = ("是" if rng.random() < 0.6 else "否") if problem else ""
            rows.append(
                [
                    date.isoformat(),
                    who(cname, staff, idn),
                    no,
                    kind,
                    money,
                    goods,
                    deeds,
                    problem,
                    solved,
                ]
            )
    rows.sort(key=lambda r: (r[0], r[2]))
    for i in range(unpaired):  # accepted, but listed by check: the cadre is not paired there
        _c, cname, staff, idn, _no = pairs[(i * 7) % len(pairs)]
        other = pairs[(i * 7 + len(pairs) // 2 + 1) % len(pairs)][4]
        rows.append(
            [
                (as_of - dt.timedelta(days=3 + i)).isoformat(),
                staff or idn,
                other,
                "走访",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    faults = [
        lambda r: r.__setitem__(2, r[2][:-3] + "999"),  # no such household
        lambda r: r.__setitem__(0, f"{as_of.year}-02-30"),  # impossible date
        lambda r: r.__setitem__(3, "座谈"),  # unknown type
        lambda r: r.__setitem__(1, "查无此人"),  # unknown cadre
    ]
    shared = sorted(n for n, k in name_count.items() if k > 1)
    if shared:
        faults.append(lambda r: r.__setitem__(1, shared[0]))  # a name two cadres share
    clean = list(rows)
    for i in range(bad):
        row = list(clean[(i * 13 + 5) % len(clean)])
        faults[i % len(faults)](row)
        rows.insert((i * 17 + 3) % len(rows), row)
    return rows


def write(path: str, header: list[str], rows: list[list], sheet: str) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(header)
    for r in rows:
        ws.append(r)
    save_deterministic(wb, path)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True, help="the fupin register (SQLite file) to read")
    p.add_argument("--cadres", help="write the cadres sheet here (.xlsx)")
    p.add_argument("--cadre-count", type=int, help="cadres (default: enough for the demand)")
    p.add_argument(
        "--teams", help="write the work-teams sheet here (.xlsx), one team per poor village"
    )
    p.add_argument("--visits", help="write the visit log here (.xlsx); needs pairs in force")
    p.add_argument("--as-of", default="2016-09-30", help="visits fall in the 90 days to this date")
    p.add_argument("--bad", type=int, default=0, help="visit rows with a fault, kinds cycling")
    p.add_argument("--unpaired", type=int, default=0, help="visits by a cadre not paired there")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    db = sqlite3.connect(args.db)
    if args.cadres:
        write(
            args.cadres,
            CADRE_HEADER,
            cadres(db, args.cadre_count, random.Random(args.seed)),
            "干部",
        )
    if args.teams:
        write(args.teams, TEAM_HEADER, teams(db, random.Random(args.seed + 1)), "驻村工作队")
    if args.visits:
        as_of = dt.date.fromisoformat(args.as_of)
        rows = visits(db, as_of, args.bad, args.unpaired, random.Random(args.seed + 2))
        write(args.visits, VISIT_HEADER, rows, "民情记录本")
    return 0


if __name__ == "__main__":
    sys.exit(main())
