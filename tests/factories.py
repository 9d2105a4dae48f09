"""Write real roster and villages spreadsheets for tests: readable rows in, .xlsx/.csv out."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from fupin_cli.core.idcard import check_digit

ROSTER_HEADERS = [
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
VILLAGE_HEADERS = [
    "乡镇",
    "村",
    "村代码",
    "是否贫困村",
    "户籍人口",
    "农业人口",
    "村集体经济收入(元)",
    "搬迁区域",
]
# The sheets of the other importers, as the tests write them
CADRE_HEADERS = [
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
TEAM_HEADERS = [
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
VISIT_HEADERS = [
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
FUND_HEADERS = [
    "日期",
    "渠道",
    "类型",
    "金额(元)",
    "乡镇",
    "村",
    "项目",
    "户编号",
    "用途",
    "文号",
    "冲销文号",
    "拨付文号",
]
LOAN_HEADERS = [
    "户编号",
    "身份证号",
    "银行",
    "金额(元)",
    "发放日期",
    "期限(月)",
    "利率",
    "用途",
    "状态",
]
PROJECT_HEADERS = ["乡镇", "村", "项目名称", "产业", "规模", "单位", "开始日期"]
MEASURE_HEADERS = ["日期", "户编号", "身份证号", "措施", "内容", "金额(元)", "经办干部"]

_seq = iter(range(1, 10**6))


def make_id(
    birth: str = "19800101", *, male: bool = True, region: str = "430725", seq: int | None = None
) -> str:
    """A valid 18-digit ID number (GB 11643 check digit) with the given birth date and sex."""
    n = next(_seq) if seq is None else seq
    order = (n * 2 + (1 if male else 0)) % 1000
    body = f"{region}{birth}{order:03d}"
    return body + check_digit(body)


def person(
    name: str,
    relation: str = "户主",
    *,
    birth: str = "19800101",
    male: bool = True,
    health: str = "健康",
    labour: str = "普通劳动力",
    school: str = "非在校生",
    education: str = "小学",
    work: str = "",
    **cells: Any,
) -> dict[str, Any]:
    return {
        "姓名": name,
        "身份证号": make_id(birth, male=male),
        "与户主关系": relation,
        "健康状况": health,
        "劳动技能": labour,
        "在校生状况": school,
        "文化程度": education,
        "务工状况": work,
        **cells,
    }


def household(
    no: str,
    members: Sequence[dict[str, Any]],
    *,
    township: str = "漳江镇",
    village: str = "桃花村",
    income: Any = 2000,
    housing: str = "危房D级",
    area: Any = 60,
    land: Any = 0.3,
    dibao: str = "否",
    wubao: str = "否",
    relocation: str = "否",
    public_servant: str = "否",
    vehicle: str = "否",
    town_property: str = "否",
    business: str = "否",
    phone: str = "13812345678",
    repeat: bool = False,
    **extra: Any,
) -> list[dict[str, Any]]:
    """Rows of one household: household cells on the 户主 row (first), members blank unless ``repeat``."""
    head_name = members[0]["姓名"]
    hh = {
        "乡镇": township,
        "村": village,
        "户编号": no,
        "家庭年人均纯收入(元)": income,
        "住房状况": housing,
        "住房面积(㎡)": area,
        "耕地面积(亩)": land,
        "是否低保": dibao,
        "是否五保": wubao,
        "搬迁区域": relocation,
        "是否有财政供养人员": public_servant,
        "是否有车辆或大型农机": vehicle,
        "是否有城镇商品房或门面": town_property,
        "是否有注册企业": business,
        "联系电话": phone,
        **extra,
    }
    rows = []
    for i, m in enumerate(members):
        row = {"户主姓名": head_name, **m}
        if i == 0 or repeat:
            row = {**hh, **row}
        else:
            row["户编号"] = no
        rows.append(row)
    return rows


def write_xlsx(
    path: Path,
    rows: Iterable[dict[str, Any]],
    headers: Sequence[str] = ROSTER_HEADERS,
    *,
    sheet: str = "花名册",
    title: str | None = None,
    before: Sequence[tuple[str, str]] = (),
) -> Path:
    """Rows as dicts keyed by header; ``before`` adds (name, 'hidden'|'visible') sheets first."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, state in before:
        ws = wb.create_sheet(name)
        ws["A1"] = "填表说明：每人一行"
        ws.sheet_state = state
    ws = wb.create_sheet(sheet)
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=min(8, len(headers)))
    ws.append(list(headers))
    for row in rows:
        ws.append([row.get(h) for h in headers])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as a cadre might type it
    wb.save(path)
    return path


def write_csv(
    path: Path,
    rows: Iterable[dict[str, Any]],
    headers: Sequence[str] = ROSTER_HEADERS,
    *,
    encoding: str = "utf-8-sig",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for row in rows:
            w.writerow(["" if row.get(h) is None else row.get(h) for h in headers])
    return path


def village(
    township: str,
    name: str,
    code: str = "",
    poor: str = "是",
    registered: int = 2000,
    agri: int = 1800,
    income: Any = 30000,
    relocation: str = "否",
    **cells: Any,
) -> dict[str, Any]:
    return {
        "乡镇": township,
        "村": name,
        "村代码": code,
        "是否贫困村": poor,
        "户籍人口": registered,
        "农业人口": agri,
        "村集体经济收入(元)": income,
        "搬迁区域": relocation,
        **cells,
    }


def write_villages(
    path: Path, rows: Iterable[dict[str, Any]], headers: Sequence[str] = VILLAGE_HEADERS
) -> Path:
    all_headers = list(headers)
    rows = list(rows)
    for row in rows:
        all_headers += [k for k in row if k not in all_headers]
    return write_xlsx(path, rows, all_headers, sheet="村表")


def small_county(tmp: Path) -> tuple[Path, Path]:
    """Two townships, three villages, six households with known outcomes (as of 2016-09-30):
    H1 identified (poor, D-grade house, no land), H2 not identified (rich), H3 identified five-保
    elder, H4 review (poor income, no deprivation), H5 vetoed (car), H6 identified with a student."""
    villages = write_villages(
        tmp / "villages.xlsx",
        [
            village("漳江镇", "桃花村", "430725101201", "是", agri=1000),
            village("漳江镇", "枫树村", "430725101202", "否", agri=1500),
            village("陬市镇", "金盆村", "430725102201", "是", agri=800, relocation="是"),
        ],
    )
    rows = [
        *household(
            "H1",
            [
                person("张三", birth="19700101", work="其他"),
                person(
                    "李四",
                    "配偶",
                    birth="19720101",
                    male=False,
                    health="患有大病",
                    labour="丧失劳动力",
                ),
            ],
        ),
        *household(
            "H2",
            [person("王五", birth="19750101", labour="技能劳动力", education="高中")],
            income=20000,
            housing="安全",
            area=200,
            land=5,
            village="枫树村",
        ),
        *household(
            "H3",
            [person("赵六", birth="19400101", labour="无劳动力", health="长期慢性病")],
            income=1500,
            wubao="是",
            township="陬市镇",
            village="金盆村",
        ),
        *household(
            "H4",
            [person("孙七", birth="19800101", labour="技能劳动力", education="高中")],
            income=2500,
            housing="安全",
            area=120,
            land=3,
        ),
        *household("H5", [person("周八", birth="19600101")], income=1000, vehicle="是"),
        *household(
            "H6",
            [
                person("吴九", birth="19780101", work="其他"),
                person(
                    "吴小",
                    "之子",
                    birth="20050301",
                    labour="无劳动力",
                    school="七年级",
                    education="小学",
                ),
            ],
            income=2200,
            township="陬市镇",
            village="金盆村",
            housing="无房",
        ),
    ]
    roster = write_xlsx(tmp / "roster.xlsx", rows, title="桃源县建档立卡花名册")
    return roster, villages
