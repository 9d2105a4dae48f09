"""The report's tables, one definition each, shared by every format.

A ``Table`` is a name (for ``--table``), a Chinese sheet title, columns and rows of plain
values. Money columns hold yuan as numbers here (json keeps integer fen); ``kind`` tells the
xlsx writer which number format a column takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fupin_cli.core.codes import Category, Channel
from fupin_cli.core.coverage import PLANNABLE
from fupin_cli.jobs.assign_check import GapRule
from fupin_cli.reports.quarterly import Report, Stats

GAP_LABELS = {rule.value: rule.label for rule in GapRule}

YUAN, INT, RATE, TEXT, YEAR = "yuan", "int", "rate", "text", "year"


@dataclass
class Table:
    name: str
    title: str
    columns: list[tuple[str, str]]  # (header, kind)
    rows: list[list[Any]]
    # (row, column) -> kind, where one cell differs from its column (a count among amounts)
    cells: dict[tuple[int, int], str] = field(default_factory=dict)

    def kind(self, row: int, column: int) -> str:
        return self.cells.get((row, column), self.columns[column][1])

    @property
    def headers(self) -> list[str]:
        return [h for h, _k in self.columns]


def with_as_of(t: Table, day) -> Table:
    """``t`` with a last column 截至 (the day an interim report's figures stand on), so a csv
    of a period not over yet says so on every row."""
    return Table(
        t.name, t.title, [*t.columns, ("截至", TEXT)], [[*r, day.isoformat()] for r in t.rows]
    )


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


def _scopes(report: Report, level: str) -> list[Stats]:
    out = [report.county]
    if level in ("township", "village"):
        out += report.townships
    if level == "village":
        out += report.villages
    return out


LEVEL_LABEL = {"county": "县", "township": "乡镇", "village": "村"}


def summary(report: Report, level: str) -> Table:
    cols = [
        ("级别", TEXT),
        ("乡镇", TEXT),
        ("名称", TEXT),
        ("代码", TEXT),
        ("贫困户", INT),
        ("贫困人口", INT),
        ("新识别", INT),
        ("预脱贫", INT),
        ("脱贫户", INT),
        ("脱贫人数", INT),
        ("返贫", INT),
        ("剔除", INT),
        *((c.value, INT) for c in Category),
        ("未分类", INT),
        ("已结对户", INT),
        ("未结对户", INT),
        ("已结对学生", INT),
        ("未结对学生", INT),
        ("走访次数", INT),
        ("走访户数", INT),
        ("慰问金(元)", YUAN),
        ("物资折价(元)", YUAN),
        ("办实事", INT),
    ]
    rows = []
    for s in _scopes(report, level):
        d = s.as_dict()
        p, v = d["pairing"], d["visits"]
        township = s.township if s.level == "village" else (s.name if s.level == "township" else "")
        rows.append(
            [
                LEVEL_LABEL[s.level],
                township,
                s.name,
                s.code or "",
                s.households,
                s.persons,
                d["newly_identified"],
                d["proposed_exit"],
                d["exited"],
                d["exited_persons"],
                d["returned"],
                d["removed"],
                *(d["by_category"][c.key] for c in Category),
                d["unclassified"],
                p["households_paired"],
                p["households_unpaired"],
                p["students_paired"],
                p["students_unpaired"],
                v["count"],
                v["households"],
                _yuan(v["money_fen"]),
                _yuan(v["goods_fen"]),
                v["deeds"],
            ]
        )
    return Table("summary", "汇总", cols, rows)


def categories(report: Report) -> Table:
    c = report.county.by_category
    rows = [[cat.value, c[cat.key]] for cat in Category]
    rows.append(["未分类", report.county.unclassified])
    return Table("categories", "分类施策", [("帮扶类别", TEXT), ("户数", INT)], rows)


def composition(report: Report) -> Table:
    rows = []
    for dim, label in (
        ("by_attribute", "贫困户属性"),
        ("by_cause", "主要致贫原因"),
        ("by_status", "状态"),
    ):
        counts = getattr(report.county, dim)
        for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append([label, value, n])
    return Table(
        "composition", "属性与致贫原因", [("维度", TEXT), ("值", TEXT), ("户数", INT)], rows
    )


def exits(report: Report) -> Table:
    rows = [
        [
            t.name,
            t.events["exited"],
            t.exited_persons,
            t.events["proposed_exit"],
            t.events["returned"],
        ]
        for t in report.townships
    ]
    target = report.exit_target
    rows.append(["全县本年累计", None, report.exited_persons_year, None, None])
    rows.append(["年度脱贫目标", None, target, None, None])
    cols = [("乡镇", TEXT), ("脱贫户", INT), ("脱贫人数", INT), ("预脱贫户", INT), ("返贫户", INT)]
    return Table("exits", "脱贫进度", cols, rows)


def villages(report: Report) -> Table:
    cols = [
        ("乡镇", TEXT),
        ("村", TEXT),
        ("代码", TEXT),
        ("贫困人口", INT),
        ("农业人口", INT),
        ("贫困发生率", RATE),
        ("低于出列线", TEXT),
        ("驻村工作队", TEXT),
    ]
    rows = []
    for v in report.villages:
        if not v.is_poor:
            continue
        rate = v.poverty_rate
        below = "" if rate is None else ("是" if rate < report.max_poverty_rate else "否")
        rows.append(
            [
                v.township,
                v.name,
                v.code or "",
                v.persons,
                v.agricultural_population,
                rate,
                below,
                "是" if v.has_team else "否",
            ]
        )
    return Table("villages", "贫困村", cols, rows)


def funds(report: Report) -> Table:
    rows = []
    for ch in Channel:
        f = report.county.funds[ch.key]
        rows.append(
            [
                ch.value,
                _yuan(f["received_fen"]),
                _yuan(f["allocated_fen"]),
                _yuan(f["disbursed_fen"]),
            ]
        )
    cols = [("渠道", TEXT), ("到位(元)", YUAN), ("拨付(元)", YUAN), ("支出(元)", YUAN)]
    return Table("funds", "资金", cols, rows)


def village_funds(report: Report) -> Table:
    """Money that reached each village in the period, by channel (receipts such as 一事一议 too)."""
    cols = [
        ("乡镇", TEXT),
        ("村", TEXT),
        ("代码", TEXT),
        ("渠道", TEXT),
        ("到位(元)", YUAN),
        ("拨付(元)", YUAN),
        ("支出(元)", YUAN),
    ]
    rows = []
    for v in report.villages:
        for ch in Channel:
            f = v.funds[ch.key]
            if f["received_fen"] or f["allocated_fen"] or f["disbursed_fen"]:
                rows.append(
                    [
                        v.township,
                        v.name,
                        v.code or "",
                        ch.value,
                        _yuan(f["received_fen"]),
                        _yuan(f["allocated_fen"]),
                        _yuan(f["disbursed_fen"]),
                    ]
                )
    return Table("village_funds", "村资金", cols, rows)


OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}


def rules(report: Report) -> Table:
    """Each county money rule: its figure and its threshold as numbers, in 元 where the rule is
    about money (a count, 一事一议 projects, where it is not: 单位 says which)."""
    cols = [
        ("规则", TEXT),
        ("对象", TEXT),
        ("实际", YUAN),
        ("条件", TEXT),
        ("标准", YUAN),
        ("单位", TEXT),
        ("达标", TEXT),
    ]
    rows, cells = [], {}
    for i, r in enumerate(report.rules):
        money = r["unit"] == "fen"
        if not money:
            cells[(i, 2)] = cells[(i, 4)] = INT
        rows.append(
            [
                r["title"],
                "全县" if r["subject"] == "county" else r["subject"],
                _yuan(r["value"]) if money else r["value"],
                OPS.get(r["op"], r["op"]),
                _yuan(r["threshold"]) if money else r["threshold"],
                "元" if money else "个",
                "是" if r["ok"] else "否",
            ]
        )
    return Table("rules", "资金规则", cols, rows, cells)


def gaps(report: Report) -> Table:
    """How many gaps of each kind each village has on the period's end (the list itself:
    ``fupin assign check --as-of END``)."""
    cols = [
        ("问题", TEXT),
        ("乡镇", TEXT),
        ("村", TEXT),
        ("村代码", TEXT),
        ("个数", INT),
    ]
    rows = [
        [
            GAP_LABELS.get(g["rule"], g["rule"]),
            g["township"],
            g["village"],
            g["village_code"] or "",
            g["count"],
        ]
        for g in report.gaps
    ]
    return Table("gaps", "帮扶缺口", cols, rows)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _head_scopes(report: Report, level: str) -> list[Stats]:
    """The county and, unless --level county, its townships."""
    return [report.county, *(report.townships if level != "county" else [])]


def _scope_cells(s: Stats) -> list[Any]:
    return [LEVEL_LABEL[s.level], s.name, s.code or ""]


def measures(report: Report, level: str) -> Table:
    """Measures planned against delivered, in households, by township and measure."""
    cols = [
        ("级别", TEXT),
        ("名称", TEXT),
        ("代码", TEXT),
        ("措施", TEXT),
        ("计划户数", INT),
        ("已落实户数", INT),
        ("未落实户数", INT),
        ("落实率", RATE),
    ]
    rows = []
    for s in _head_scopes(report, level):
        for m in PLANNABLE:
            planned, delivered = s.measures_planned[m], s.measures_delivered[m]
            rows.append(
                [
                    *_scope_cells(s),
                    m,
                    planned,
                    delivered,
                    planned - delivered,
                    _share(delivered, planned),
                ]
            )
    return Table("measures", "措施落实", cols, rows)


def coverage(report: Report, level: str) -> Table:
    """Training (people), employment (households) and school aid (students) by township."""
    cols = [
        ("级别", TEXT),
        ("名称", TEXT),
        ("代码", TEXT),
        ("劳动力", INT),
        ("已培训", INT),
        ("培训率", RATE),
        ("有劳动力户", INT),
        ("有人务工户", INT),
        ("务工率", RATE),
        ("在校生", INT),
        ("已获教育资助", INT),
        ("资助率", RATE),
    ]
    rows = [
        [
            *_scope_cells(s),
            s.labourers,
            s.trained,
            _share(s.trained, s.labourers),
            s.labour_households,
            s.employed_households,
            _share(s.employed_households, s.labour_households),
            s.aid_students,
            s.aided_students,
            _share(s.aided_students, s.aid_students),
        ]
        for s in _head_scopes(report, level)
    ]
    return Table("coverage", "培训就业助学", cols, rows)


def _flag(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def village_exit(report: Report) -> Table:
    """Every poor village's exit test: the facts, pass or fail, and every unmet condition."""
    cols = [
        ("乡镇", TEXT),
        ("村", TEXT),
        ("代码", TEXT),
        ("贫困人口", INT),
        ("农业人口", INT),
        ("贫困发生率", RATE),
        ("村集体经济收入(元)", YUAN),
        ("收入年度", YEAR),
        *((service, TEXT) for service in report.services),
        ("可出列", TEXT),
        ("未达条件", TEXT),
    ]
    rows = []
    for x in report.village_exit:
        f, v = x.facts, x.village
        income = f.collective_income_fen
        rows.append(
            [
                v.township,
                v.name,
                v.code or "",
                v.persons,
                f.agricultural_population,
                x.poverty_rate,
                None if income is None else _yuan(income),
                f.collective_income_year,
                *(_flag(f.services.get(service)) for service in report.services),
                "是" if x.test.ok else "否",
                "；".join(u.reason for u in x.test.unmet),
            ]
        )
    return Table("village_exit", "贫困村出列", cols, rows)


TABLES = (
    "summary",
    "categories",
    "composition",
    "exits",
    "villages",
    "funds",
    "village_funds",
    "rules",
    "gaps",
    "measures",
    "coverage",
    "village_exit",
)


def all_tables(report: Report, level: str) -> list[Table]:
    return [
        summary(report, level),
        categories(report),
        composition(report),
        exits(report),
        villages(report),
        funds(report),
        village_funds(report),
        rules(report),
        gaps(report),
        measures(report, level),
        coverage(report, level),
        village_exit(report),
    ]
