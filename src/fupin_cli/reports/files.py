"""The township files (户有卡、村有册、乡有档): household card, village register, township file.

Workbooks for people: Chinese headers, money in yuan, ID numbers and phones masked unless
``show_id``, every string guarded against formula injection by ``io.xlsx.write_table``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from fupin_cli.core.classifier import Reason, describe
from fupin_cli.core.codes import Decision, Relation, Status
from fupin_cli.core.coverage import PLANNABLE
from fupin_cli.core.idcard import mask_id, mask_phone
from fupin_cli.core.ledger import REVERSAL, channel_label, kind_label
from fupin_cli.core.policy import Policy
from fupin_cli.core.village_exit import ExitTest, VillageFacts, exit_test
from fupin_cli.db.geo import Geography
from fupin_cli.db.status import register_date
from fupin_cli.errors import UsageError
from fupin_cli.io.document import county_heading
from fupin_cli.io.xlsx import (
    MONEY_FORMAT,
    PERCENT_FORMAT,
    TEXT_FORMAT,
    YEAR_FORMAT,
    Section,
    header_row,
    new_workbook,
    pairs,
    save_workbook,
    write_sections,
    write_table,
)
from fupin_cli.jobs.villages import SERVICE_COLUMNS

REGISTERED = tuple(s.value for s in Status if s.registered)
EVENT_LABELS = {
    "identified": "识别为贫困户",
    "proposed_exit": "预脱贫",
    "exited": "脱贫",
    "returned": "返贫",
    "removed": "错评剔除",
    "exit_withdrawn": "撤销预脱贫",
    "member_moved": "成员迁移",
}


def _by_relation(member: tuple) -> tuple:
    """户主 first, then 配偶, 之子 … in the national code order, then by birth."""
    try:
        return (Relation.parse(member[4]).code, str(member[3]))
    except ValueError:
        return ("99", str(member[3]))


def _ids(show: bool):
    return (lambda v: v or "") if show else (lambda v: mask_id(v) if v else "")


def _phones(show: bool):
    return (lambda v: v or "") if show else (lambda v: mask_phone(v) if v else "")


def _yuan(fen: int | None) -> float | None:
    return None if fen is None else round(fen / 100, 2)


def _yes(v: Any) -> str:
    return "" if v is None else ("是" if v else "否")


def _list(text_value: str | None) -> str:
    return "、".join(json.loads(text_value)) if text_value else ""


def _save(wb, path: Path) -> Path:
    return save_workbook(wb, path)


def _rows(conn: Connection, sql: str, **params: Any) -> list[tuple]:
    return [tuple(r) for r in conn.execute(text(sql), params)]


# -- 户卡 -------------------------------------------------------------------------------------


def household_card(
    conn: Connection, household_no: str, path: Path, *, show_id: bool = False, county: str = ""
) -> Path:
    """户卡: the household's facts, members, assessments, plans, measures, visits, money and
    history, one section under another on one sheet that prints on two A4 pages."""
    found = (
        conn.execute(
            text(
                "SELECT h.*, v.name AS village, t.name AS township, v.code AS village_code FROM household h "
                "JOIN village v ON v.id = h.village_id JOIN township t ON t.id = v.township_id WHERE h.household_no = :no"
            ),
            {"no": household_no},
        )
        .mappings()
        .first()
    )
    if found is None:
        raise UsageError(f"no household {household_no} in the register; check the 户编号")
    h = dict(found)
    hid = h["id"]
    ids, phones = _ids(show_id), _phones(show_id)
    plan = conn.execute(
        text(
            "SELECT category, measures, reasons, as_of, policy_version FROM classification WHERE household_id = :h "
            "ORDER BY id DESC LIMIT 1"
        ),
        {"h": hid},
    ).first()
    cadre = conn.execute(
        text(
            "SELECT c.name, c.phone FROM pairing p JOIN cadre c ON c.id = p.cadre_id WHERE p.household_id = :h "
            "AND p.kind = 'household' AND p.end_date IS NULL ORDER BY p.id DESC LIMIT 1"
        ),
        {"h": hid},
    ).first()

    facts = [
        ("户编号", h["household_no"]),
        ("乡镇", h["township"]),
        ("村", h["village"]),
        ("村代码", h["village_code"]),
        ("组", h["group_name"]),
        ("户主", h["head_name"]),
        ("联系电话", phones(h["phone"])),
        ("状态", h["status"]),
        ("贫困户属性", h["attribute"]),
        ("主要致贫原因", h["main_cause"]),
        ("其他致贫原因", _list(h["other_causes"])),
        ("家庭年人均纯收入(元)", _yuan(h["income_per_capita_fen"])),
        ("住房状况", h["housing"]),
        ("住房面积(㎡)", h["housing_area"]),
        ("耕地面积(亩)", h["farmland_mu"]),
        ("低保", _yes(h["is_dibao"])),
        ("五保", _yes(h["is_wubao"])),
        ("搬迁区域", _yes(h["relocation_zone"])),
        ("帮扶类别", plan[0] if plan else "未分类"),
        ("帮扶措施", _list(plan[1]) if plan else ""),
        ("帮扶责任人", cadre[0] if cadre else "未结对"),
        ("责任人电话", phones(cadre[1]) if cadre else ""),
    ]
    sections = [pairs(facts)]

    members = _rows(
        conn,
        (
            "SELECT p.name, p.id_number, p.sex, p.birth_date, p.relation, p.education, p.school_status, p.health, "
            "p.labour_skill, p.work_status, (SELECT c.name FROM pairing s JOIN cadre c ON c.id = s.cadre_id "
            " WHERE s.person_id = p.id_number AND s.kind = 'student' AND s.end_date IS NULL LIMIT 1) "
            "FROM person p WHERE p.household_id = :h ORDER BY p.birth_date"
        ),
        h=hid,
    )
    sections.append(
        Section(
            "家庭成员",
            [
                "姓名",
                "身份证号",
                "性别",
                "出生日期",
                "与户主关系",
                "文化程度",
                "在校生状况",
                "健康状况",
                "劳动技能",
                "务工状况",
                "结对干部(学生)",
            ],
            [[m[0], ids(m[1]), *m[2:10], m[10] or ""] for m in sorted(members, key=_by_relation)],
            formats={1: TEXT_FORMAT},
        )
    )

    assessments = _rows(
        conn,
        (
            "SELECT as_of, policy_version, housing_score, production_score, labour_score, education_score, health_score, "
            "score, income_per_capita_fen, income_line_fen, decision, main_cause, other_causes, vetoes, reasons "
            "FROM assessment WHERE household_id = :h ORDER BY id"
        ),
        h=hid,
    )
    sections.append(
        Section(
            "识别评议",
            [
                "评议日期",
                "政策版本",
                "住房条件",
                "生产资料",
                "劳动能力",
                "教育程度",
                "健康状况",
                "综合得分",
                "人均纯收入(元)",
                "贫困线(元)",
                "结论",
                "主要致贫原因",
                "其他致贫原因",
                "否决",
                "理由",
            ],
            [
                [
                    *a[:8],
                    _yuan(a[8]),
                    _yuan(a[9]),
                    Decision.parse(a[10]).value,
                    a[11],
                    _list(a[12]),
                    _list(a[13]),
                    "；".join(json.loads(a[14])),
                ]
                for a in assessments
            ],
            formats={8: MONEY_FORMAT, 9: MONEY_FORMAT},
        )
    )

    plans = _rows(
        conn,
        "SELECT as_of, category, measures, reasons, policy_version FROM classification "
        "WHERE household_id = :h ORDER BY id",
        h=hid,
    )
    sections.append(
        Section(
            "帮扶计划",
            ["日期", "帮扶类别", "帮扶措施", "依据", "政策版本"],
            [[p[0], p[1], _list(p[2]), _reasons(p[3]), p[4]] for p in plans],
        )
    )

    visits = _rows(
        conn,
        (
            "SELECT v.date, c.name, v.kind, v.money_fen, v.goods_fen, v.deeds, v.problem, v.solved FROM visit v "
            "JOIN cadre c ON c.id = v.cadre_id WHERE v.household_id = :h ORDER BY v.date, v.id"
        ),
        h=hid,
    )
    sections.append(
        Section(
            "走访记录",
            ["日期", "干部", "类型", "慰问金(元)", "物资折价(元)", "办实事", "问题", "是否解决"],
            [[v[0], v[1], v[2], _yuan(v[3]), _yuan(v[4]), v[5], v[6], _yes(v[7])] for v in visits],
            formats={3: MONEY_FORMAT, 4: MONEY_FORMAT},
        )
    )

    money = _rows(
        conn,
        "SELECT date, doc_no, channel, kind, amount_fen, purpose FROM fund_entry "
        "WHERE household_id = :h ORDER BY date, id",
        h=hid,
    )
    loans = _rows(
        conn,
        "SELECT start_date, bank, amount_fen, term_months, rate_bp, purpose, status, repaid_date "
        "FROM loan "
        "WHERE household_id = :h ORDER BY start_date",
        h=hid,
    )
    # a reversal (冲销) takes money back: it shows as a negative amount, as in the public notice
    rows = [
        [
            m[0],
            m[1],
            channel_label(m[2]),
            kind_label(m[3]),
            _yuan(-m[4] if m[3] == REVERSAL else m[4]),
            m[5] or "",
        ]
        for m in money
    ]
    rows += [
        [
            ln[0],
            f"贷款 {ln[1]}",
            "银行贷款",
            f"小额信贷 {ln[3]}个月 {ln[4] / 100:.2f}% {ln[6]}" + (f" {ln[7]}" if ln[7] else ""),
            _yuan(ln[2]),
            ln[5],
        ]
        for ln in loans
    ]
    rows.sort(key=lambda r: str(r[0]))
    sections.append(
        Section(
            "资金",
            ["日期", "文号", "渠道", "类型", "金额(元)", "用途"],
            rows,
            formats={4: MONEY_FORMAT},
        )
    )

    events = _rows(
        conn,
        "SELECT date, event, from_status, to_status, reason FROM status_event "
        "WHERE household_id = :h ORDER BY date, id",
        h=hid,
    )
    sections.append(
        Section(
            "状态变化",
            ["日期", "事件", "原状态", "新状态", "原因"],
            [[e[0], EVENT_LABELS.get(e[1], e[1]), e[2], e[3], e[4]] for e in events],
        )
    )

    sections.insert(4, _measures_section(conn, hid, plan, ids))
    wb = new_workbook()
    heading = county_heading(
        county,
        "建档立卡贫困户户卡",
        h["township"],
        h["village"],
        f"户主 {h['head_name']}（户编号 {h['household_no']}）",
    )
    write_sections(wb, "户卡", sections, heading=heading, landscape=True)
    return _save(wb, path)


def _measures_section(conn: Connection, hid: int, plan, ids) -> Section:
    """帮扶措施: every measure the current plan holds or a record shows — planned?, delivered? —
    then its records (one row each); a planned measure with no record gets one row of its own."""
    planned = set((plan[0], *json.loads(plan[1] or "[]"))) if plan else set()
    records = _rows(
        conn,
        "SELECT r.measure, r.date, p.name, r.person_id, r.content, r.amount_fen, c.name "
        "FROM measure_record r LEFT JOIN person p ON p.id_number = r.person_id "
        "LEFT JOIN cadre c ON c.id = r.cadre_id WHERE r.household_id = :h ORDER BY r.date, r.id",
        h=hid,
    )
    by_measure: dict[str, list[tuple]] = {}
    for r in records:
        by_measure.setdefault(r[0], []).append(r)
    rows = []
    for m in PLANNABLE:
        if m not in planned and m not in by_measure:
            continue
        head = [m, _yes(m in planned), _yes(m in by_measure)]
        for r in by_measure.get(m, []) or [None]:
            if r is None:
                rows.append([*head, "", "", "", None, ""])
            else:
                who = f"{r[2] or ''} {ids(r[3])}".strip() if r[3] else "全户"
                rows.append([*head, r[1], who, r[4], _yuan(r[5]), r[6] or ""])
    return Section(
        "帮扶措施",
        ["措施", "已计划", "已落实", "日期", "对象", "内容", "金额(元)", "经办干部"],
        rows,
        formats={6: MONEY_FORMAT},
    )


def _reasons(raw: str | None) -> str:
    """The stored classification reasons as the sentences ``classify --explain`` uses."""
    if not raw:
        return ""
    try:
        items = json.loads(raw)
    except ValueError:
        return raw
    out = []
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict) and {"subject", "rule", "facts"} <= item.keys():
            reason = Reason(item["subject"], item["rule"], item["facts"] or {})
            try:
                out.append(f"{reason.subject}: {describe(reason)}")
            except (KeyError, TypeError, ValueError):  # a reason an older classifier wrote
                out.append(f"{reason.subject}: {reason.rule}")
        else:
            out.append(str(item))
    return "；".join(out)


# -- 村册 and 乡档 ----------------------------------------------------------------------------


REGISTER_HEADERS = [
    "乡镇",
    "村",
    "户编号",
    "户主",
    "人口",
    "状态",
    "贫困户属性",
    "主要致贫原因",
    "帮扶类别",
    "帮扶措施",
    "帮扶责任人",
    "家庭年人均纯收入(元)",
    "住房状况",
    "联系电话",
]


def _register(conn: Connection, village_ids: Sequence[int], show_id: bool) -> list[list[Any]]:
    if not village_ids:
        return []
    phones = _phones(show_id)
    marks = ", ".join(str(int(v)) for v in village_ids)
    statuses = ", ".join(f"'{s}'" for s in REGISTERED)
    rows = conn.execute(
        text(
            "SELECT t.name, v.name, h.household_no, h.head_name, (SELECT count(*) FROM person p WHERE p.household_id = h.id), "
            "h.status, h.attribute, h.main_cause, c.category, c.measures, "
            "(SELECT cd.name FROM pairing pr JOIN cadre cd ON cd.id = pr.cadre_id WHERE pr.household_id = h.id "
            " AND pr.kind = 'household' AND pr.end_date IS NULL LIMIT 1), h.income_per_capita_fen, h.housing, h.phone "
            "FROM household h JOIN village v ON v.id = h.village_id JOIN township t ON t.id = v.township_id "
            "LEFT JOIN (SELECT household_id, category, measures, ROW_NUMBER() OVER (PARTITION BY household_id ORDER BY id DESC) rn "
            " FROM classification) c ON c.household_id = h.id AND c.rn = 1 "
            f"WHERE h.village_id IN ({marks}) AND h.status IN ({statuses}) ORDER BY t.name, v.name, h.household_no"
        )
    )
    return [
        [
            *r[:8],
            r[8] or "未分类",
            _list(r[9]),
            r[10] or "未结对",
            _yuan(r[11]),
            r[12],
            phones(r[13]),
        ]
        for r in rows
    ]


def _summary_row(rows: list[list[Any]]) -> Counter:
    c: Counter = Counter()
    for r in rows:
        c["households"] += 1
        c["persons"] += r[4]
        c[r[8]] += 1
        c["unpaired"] += r[10] == "未结对"
    return c


def register_year(conn: Connection) -> int:
    """The year the register stands in: its latest identification round's, else this year."""
    return (register_date(conn) or dt.date.today()).year


def village_register(
    conn: Connection,
    village: str,
    path: Path,
    *,
    policy: Policy,
    year: int | None = None,
    show_id: bool = False,
) -> Path:
    """村册: 村情 (the village's facts and its exit test for ``year``) and its register."""
    geo = Geography.load(conn)
    vid = geo.resolve(village, option="village")
    info = conn.execute(text("SELECT * FROM village WHERE id = :v"), {"v": vid}).mappings().first()
    rows = _register(conn, [vid], show_id)
    c = _summary_row(rows)
    township, name = geo.names[vid]
    wb = new_workbook()
    summary = [
        ["乡镇", township],
        ["村", name],
        ["村代码", info["code"]],
        ["贫困村", _yes(info["is_poor"])],
        ["户籍人口", info["registered_population"]],
        ["农业人口", info["agricultural_population"]],
        ["村集体经济收入(元)", _yuan(info["collective_income_fen"])],
        ["在册贫困户", c["households"]],
        ["在册贫困人口", c["persons"]],
        [
            "贫困发生率",
            round(c["persons"] / info["agricultural_population"], 6)
            if info["agricultural_population"]
            else None,
        ],
        *([cat, c[cat]] for cat in ("产业帮扶", "易地搬迁", "政策兜底", "大病救助", "未分类")),
        ["未结对户", c["unpaired"]],
        *_exit_rows(info, c["persons"], year or register_year(conn), policy),
    ]
    date_line = f"截至 {dt.date.today().isoformat()}；出列检验 {year or register_year(conn)}年度"
    heading = county_heading(policy.county, "贫困村村情", township, name, period=date_line)
    sheet = write_table(wb, "村情", ["项目", "内容"], summary, max_width=60, heading=heading)
    formats = {"贫困发生率": PERCENT_FORMAT, "村集体经济收入(元)": MONEY_FORMAT}
    formats |= {"村集体经济收入年度": YEAR_FORMAT, "出列检验年度": YEAR_FORMAT}
    for label, value in sheet.iter_rows(min_row=header_row(sheet) + 1, max_col=2):
        if label.value in formats:
            value.number_format = formats[label.value]
    heading = county_heading(policy.county, "建档立卡贫困户花名册", township, name)
    write_table(
        wb,
        "贫困户花名册",
        REGISTER_HEADERS,
        rows,
        formats={11: MONEY_FORMAT, 13: TEXT_FORMAT},
        heading=heading.but(unit="元", period=f"截至 {dt.date.today().isoformat()}"),
    )
    return _save(wb, path)


def _exit_test(info, persons: int, year: int, policy: Policy) -> ExitTest:
    """The village's exit test (贫困村出列) for ``year`` from its row and its poor persons."""
    facts = VillageFacts(
        poor_persons=persons,
        agricultural_population=info["agricultural_population"],
        collective_income_fen=info["collective_income_fen"],
        collective_income_year=info["collective_income_year"],
        services={name: info[col] for name, col in SERVICE_COLUMNS.items()},
    )
    return exit_test(facts, year, policy.village_exit)


def _verdict(test: ExitTest) -> str:
    return "达标 可出列" if test.ok else "未达标"


def _exit_rows(info, persons: int, year: int, policy: Policy) -> list[list[Any]]:
    """The exit test (贫困村出列) as rows of 村情: the year, each service, the verdict, why."""
    test = _exit_test(info, persons, year, policy)
    return [
        ["村集体经济收入年度", info["collective_income_year"]],
        *([name, _yes(info[SERVICE_COLUMNS[name]])] for name in policy.village_exit.services),
        ["出列检验年度", year],
        ["出列检验", _verdict(test)],
        ["未达条件", "；".join(u.reason for u in test.unmet)],
    ]


def township_file(
    conn: Connection,
    township: str,
    path: Path,
    *,
    policy: Policy,
    year: int | None = None,
    show_id: bool = False,
) -> Path:
    """乡档: each village's summary with, for a poor village, its exit test for ``year``; and the
    township's register."""
    geo = Geography.load(conn)
    year = year or register_year(conn)
    key = "".join(str(township).split())
    if key not in geo.townships:
        by_code = {(geo.codes[v] or "")[:9]: t for v, (t, _n) in geo.names.items() if geo.codes[v]}
        key = by_code.get(key, key)
    tid = geo.resolve_township(key, option="township")
    name = geo.township_names[tid]
    vids = sorted(
        (v for v, (t, _n) in geo.names.items() if t == name),
        key=lambda v: (geo.codes[v] or "", geo.names[v][1]),
    )
    rows = _register(conn, vids, show_id)
    per_village = {v: _summary_row(_register(conn, [v], show_id)) for v in vids}  # by id, not name
    info = {r["id"]: r for r in conn.execute(text("SELECT * FROM village")).mappings()}
    wb = new_workbook()
    summary = []
    for v in vids:
        c = per_village[v]
        agri = info[v]["agricultural_population"]
        test = _exit_test(info[v], c["persons"], year, policy) if info[v]["is_poor"] else None
        summary.append(
            [
                geo.names[v][1],
                geo.codes[v] or "",
                _yes(info[v]["is_poor"]),
                agri,
                c["households"],
                c["persons"],
                round(c["persons"] / agri, 6) if agri else None,
                c["产业帮扶"],
                c["易地搬迁"],
                c["政策兜底"],
                c["大病救助"],
                c["未分类"],
                c["unpaired"],
                _verdict(test) if test else "",
                "；".join(u.reason for u in test.unmet) if test else "",
            ]
        )

    write_table(
        wb,
        "各村汇总",
        [
            "村",
            "村代码",
            "贫困村",
            "农业人口",
            "贫困户",
            "贫困人口",
            "贫困发生率",
            "产业帮扶",
            "易地搬迁",
            "政策兜底",
            "大病救助",
            "未分类",
            "未结对户",
            f"{year}年出列检验",
            "未达条件",
        ],
        summary,
        formats={6: PERCENT_FORMAT},
        heading=county_heading(
            policy.county, "乡镇各村汇总", name, period=f"出列检验 {year}年度"
        ).but(unit="户、人"),
    )
    write_table(
        wb,
        "贫困户花名册",
        REGISTER_HEADERS,
        rows,
        formats={11: MONEY_FORMAT, 13: TEXT_FORMAT},
        heading=county_heading(
            policy.county,
            "建档立卡贫困户花名册",
            name,
            period=f"截至 {dt.date.today().isoformat()}",
            unit="元",
        ),
    )
    return _save(wb, path)
