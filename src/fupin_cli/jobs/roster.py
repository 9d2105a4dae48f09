"""The roster (花名册): one row per person, grouped into households and checked as households.

Layout rules (DESIGN.md §10): a blank 户编号 belongs to the household of the nearest row above
that has one (vertically merged cells read that way); household columns come from the 户主 row,
and a member row that repeats them must agree; blank rows are skipped, subtotal rows (合计/小计)
skipped with a warning. A household with any faulty row is rejected whole. The original cells
wait in a temporary file, so the error workbook can show the cadre their own row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fupin_cli.core.codes import (
    Education,
    Health,
    Housing,
    LabourSkill,
    Relation,
    SchoolStatus,
    Sex,
    WorkStatus,
)
from fupin_cli.core.dates import as_written, parse_date
from fupin_cli.core.faults import Invalid
from fupin_cli.core.idcard import IdCard, IdCardError, parse_id
from fupin_cli.core.money import format_fen
from fupin_cli.errors import InputError
from fupin_cli.io.errors_file import Rejected
from fupin_cli.io.sheets import Field, Spec, Table, open_table
from fupin_cli.jobs.rows import MONEY, TEXT, YES_NO, Col, Plan, RowFault, blank, digits_text, number

DIMENSIONS = ("housing", "production", "labour", "education", "health")
FLAGS = ("has_public_servant", "has_vehicle", "has_town_property", "has_business")
SUBTOTAL_MARKS = ("合计", "小计", "总计")
FOOTER_MARKS = ("填表", "审核", "制表", "负责人", "联系人")  # signature lines below the data

SPEC = Spec(
    [
        Field(
            "township",
            "乡镇",
            ("乡镇名称", "乡(镇)", "乡镇(街道)", "所在乡镇", "township"),
            required=True,
        ),
        Field(
            "village",
            "村",
            ("村名", "村名称", "行政村", "村(居)", "村(社区)", "所在村", "village"),
            required=True,
        ),
        Field("group", "组", ("村民小组", "组别", "group")),
        Field(
            "household_no",
            "户编号",
            ("户号", "户码", "家庭编号", "household no", "household_no"),
            required=True,
        ),
        Field("name", "姓名", ("成员姓名", "name"), required=True),
        Field(
            "id_number",
            "身份证号",
            ("身份证号码", "公民身份号码", "证件号码", "id number", "id_number"),
            required=True,
        ),
        Field("sex", "性别", ("sex",)),
        Field("relation", "与户主关系", ("与户主的关系", "relation"), required=True),
        Field("birth_date", "出生日期", ("出生年月日", "birth date", "birth_date")),
        Field("education", "文化程度", ("education",)),
        Field("school", "在校生状况", ("在校生情况", "在校状况", "school status", "school")),
        Field("health", "健康状况", ("health",), required=True),
        Field("labour", "劳动技能", ("劳动能力", "labour skill", "labour"), required=True),
        Field("work", "务工状况", ("务工情况", "work status", "work")),
        Field("head_name", "户主姓名", ("户主", "head name", "head_name")),
        Field(
            "income",
            "家庭年人均纯收入(元)",
            ("家庭年人均纯收入", "人均纯收入", "人均纯收入(元)", "年人均纯收入(元)", "income"),
        ),
        Field("housing", "住房状况", ("住房情况", "住房", "housing")),
        Field(
            "housing_area",
            "住房面积(㎡)",
            ("住房面积", "住房面积(平方米)", "住房面积(m2)", "housing area"),
        ),
        Field(
            "farmland",
            "耕地面积(亩)",
            ("生产资料(耕地亩数)", "耕地面积", "耕地(亩)", "耕地亩数", "farmland"),
        ),
        Field("is_dibao", "是否低保", ("低保", "低保户", "dibao")),
        Field("is_wubao", "是否五保", ("五保", "五保户", "wubao")),
        Field("relocation_zone", "搬迁区域", ("是否搬迁区域", "是否在搬迁区域", "relocation zone")),
        Field("has_public_servant", "是否有财政供养人员", ("有财政供养人员", "财政供养人员")),
        Field("has_vehicle", "是否有车辆或大型农机", ("有车辆或大型农机", "车辆或大型农机")),
        Field(
            "has_town_property",
            "是否有城镇商品房或门面",
            ("有城镇商品房或门面", "城镇商品房或门面"),
        ),
        Field("has_business", "是否有注册企业", ("有注册企业", "注册企业")),
        Field("phone", "联系电话", ("电话", "手机", "联系方式", "phone")),
    ]
)


def _area(value: Any) -> float:
    v = number(value)
    if v < 0:
        raise Invalid(f"'{value}' cannot be negative", zh=f"'{value}' 不能为负数")
    return v


PERSON_COLS = [
    Col("name", TEXT, required=True, cached=False),
    Col(
        "id_number", lambda v: v, required=True, cached=False
    ),  # checked below, with its own message
    Col("sex", Sex.parse),
    Col("relation", Relation.parse, required=True),
    Col("birth_date", parse_date),
    Col("education", Education.parse),
    Col("school", SchoolStatus.parse),
    Col("health", Health.parse, required=True),
    Col("labour", LabourSkill.parse, required=True),
    Col("work", WorkStatus.parse),
    Col("head_name", TEXT),
]
HOUSEHOLD_COLS = [
    Col("township", TEXT),
    Col("village", TEXT),
    Col("group", TEXT),
    Col("income", MONEY),
    Col("housing", Housing.parse),
    Col("housing_area", _area),
    Col("farmland", _area),
    Col("is_dibao", YES_NO),
    Col("is_wubao", YES_NO),
    Col("relocation_zone", YES_NO),
    *(Col(f, YES_NO) for f in FLAGS),
    Col("phone", digits_text, cached=False),
]


@dataclass(slots=True)
class Person:
    row: int
    id_number: str
    name: str
    sex: Sex
    birth_date: dt.date
    relation: Relation
    education: Education | None
    school: SchoolStatus | None
    health: Health
    labour: LabourSkill
    work: WorkStatus | None
    head_name: str | None  # the row's 户主姓名 cell; dropped once the household is checked
    age: int = 0  # completed years at --as-of, set before assessment (core reads it as a Member)

    def values(self) -> tuple:
        """The stored columns, in person-table order, as plain text (a code's ``_value_`` is its
        label, one shared string)."""
        e, s, w = self.education, self.school, self.work
        return (
            self.id_number,
            self.name,
            self.sex._value_,
            self.birth_date.isoformat(),
            self.relation._value_,
            None if e is None else e._value_,
            None if s is None else s._value_,
            self.health._value_,
            self.labour._value_,
            None if w is None else w._value_,
        )

    def digest_text(self) -> str:
        """This member's part of the household fingerprint (every stored column)."""
        e, s, w = self.education, self.school, self.work
        return (
            f"{self.id_number}\x1f{self.name}\x1f{self.sex._value_}\x1f{self.birth_date}\x1f"
            f"{self.relation._value_}\x1f{e and e._value_}\x1f{s and s._value_}\x1f{self.health._value_}\x1f"
            f"{self.labour._value_}\x1f{w and w._value_}"
        )

    def row_values(self, household_id: int, batch_id: int) -> tuple:
        v = self.values()
        return (v[0], household_id, *v[1:], batch_id)


@dataclass(slots=True)  # 250,000 of them in a county: no __dict__ each
class Household:
    no: str
    first_row: int
    # where its original cells lie in the roster's spill file: (offset, length) of a pickled
    # [(row, cells)] per run of rows
    raw: list[tuple[int, int]] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    values: list[tuple[int, dict[str, Any]]] = field(
        default_factory=list
    )  # household cells per row
    faults: dict[int, RowFault] = field(default_factory=dict)  # row -> its first fault
    # accepted values (from the 户主 row)
    township: str = ""
    village: str = ""
    group: str | None = None
    income_fen: int | None = None
    housing: Housing | None = None
    housing_area: float | None = None
    farmland_mu: float | None = None
    is_dibao: bool | None = None
    is_wubao: bool | None = None
    relocation_zone: bool | None = None
    flags: dict[str, bool | None] = field(default_factory=dict)
    phone: str | None = None
    head_name: str | None = None
    carried: tuple[str | None, str | None] = (None, None)  # 乡镇, 村 in force at the 户主 row

    def fault(self, row: int, fault: RowFault) -> None:
        self.faults.setdefault(row, fault)

    def fingerprint(self, village_id: int) -> str:
        """A digest of every fact the register keeps of this household and its members."""
        facts = (
            village_id,
            self.group,
            self.income_fen,
            _v(self.housing),
            self.housing_area,
            self.farmland_mu,
            self.is_dibao,
            self.is_wubao,
            self.relocation_zone,
            *(self.flags.get(f) for f in FLAGS),
            self.phone,
            self.head_name,
        )
        members = sorted(p.digest_text() for p in self.persons)
        text = _join(facts) + "\x1e" + "\x1e".join(members)
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


class Roster:
    """A parsed roster: households in file order, each accepted or carrying its faults."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.households: dict[str, Household] = {}
        self.rows_read = 0
        self.subtotals = 0
        self.footers = 0
        # original cells are needed only for rejected households: they wait on disk, not in memory
        self.spill = tempfile.TemporaryFile()

    def keep_raw(self, hh: Household | None, rows: list[tuple[int, list[Any]]]) -> None:
        """Keep a run of a household's original cells for the error workbook."""
        if hh is not None and rows:
            data = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
            hh.raw.append((self.spill.tell(), len(data)))
            self.spill.write(data)

    def original_rows(self, hh: Household) -> Iterator[tuple[int, list[Any]]]:
        for offset, length in hh.raw:
            self.spill.seek(offset)
            yield from pickle.loads(self.spill.read(length))
        self.spill.seek(0, 2)

    @property
    def household_nos(self) -> set[str]:
        return set(self.households)

    def header(self, key: str) -> str:
        return self.table.header_of(key)

    def accepted(self) -> Iterator[Household]:
        return (hh for hh in self.households.values() if not hh.faults)

    def rejected_rows(self) -> list[Rejected]:
        out = []
        for hh in self.households.values():
            if not hh.faults:
                continue
            first = min(hh.faults)
            for row, cells in self.original_rows(hh):
                if row in hh.faults:
                    out.append(hh.faults[row].rejected(row, cells))
                else:
                    out.append(
                        Rejected(
                            row,
                            cells,
                            "",
                            f"household {hh.no} rejected, see row {first}",
                            f"户 {hh.no} 整户未导入，错误见第 {first} 行",
                        )
                    )
        return out


class Progress(Protocol):
    """Rows read (``(done, last row if known)``; ``(n, n)`` when the read is over), then the
    stages after the read, each named (``io.output.StageBar``)."""

    def __call__(self, done: int, total: int | None) -> None: ...

    def stage(self, label: str) -> None: ...


def read(
    path: Path,
    *,
    sheet: str | None,
    encoding: str | None,
    warn: Callable[[str], None],
    progress: Progress | None = None,
) -> Roster:
    table = open_table(path, SPEC, sheet=sheet, encoding=encoding)
    if note := table.ignored():
        warn(note)
    roster = Roster(table)
    person_plan = Plan(table, PERSON_COLS)
    household_plan = Plan(table, HOUSEHOLD_COLS)
    no_idx = table.columns["household_no"]
    mark_cols = [
        table.columns[k]
        for k in ("township", "village", "household_no", "name")
        if k in table.columns
    ]
    name_idx, id_idx = table.columns["name"], table.columns["id_number"]
    current: Household | None = None
    # 乡镇 and 村 merged down over several households read as blanks below the first: they carry
    carried: tuple[str | None, str | None] = (None, None)
    pending: list[tuple[int, list[Any]]] = []  # the current run of one household's rows, kept raw
    pending_hh: Household | None = None
    orphans = 0
    for row_no, cells in table.rows:
        if progress is not None and not row_no % 5000:
            progress(row_no, table.last_row)
        n = len(cells)
        name_cell = cells[name_idx] if name_idx < n else None
        id_cell = cells[id_idx] if id_idx < n else None
        # a subtotal row (合计/小计) names no person's ID: only such rows are looked at
        if not _filled(id_cell) and _is_subtotal(cells, mark_cols):
            roster.subtotals += 1
            continue
        if not _filled(name_cell) and not _filled(id_cell):
            if not any(_filled(c) for c in cells):
                continue  # a blank row
            if _is_footer(cells):
                roster.footers += 1
                continue
        roster.rows_read += 1
        no_cell = cells[no_idx] if no_idx < len(cells) else None
        no_fault = None
        if blank(no_cell):
            if current is None:
                orphans += 1
                current = Household(f"(row {row_no})", row_no)
                roster.households[current.no] = current
                no_fault = RowFault(
                    table.header_of("household_no"),
                    "blank, and no household above it; fill in the 户编号",
                    zh="户编号为空，上面也没有所属的户；请填写户编号",
                )
        else:
            try:
                no = digits_text(no_cell)
            except ValueError as exc:
                no, no_fault = f"(row {row_no})", RowFault.of(table.header_of("household_no"), exc)
            current = roster.households.get(no)
            if current is None:
                current = Household(no, row_no)
                roster.households[no] = current
        hh = current
        if hh is not pending_hh:
            roster.keep_raw(pending_hh, pending)
            pending, pending_hh = [], hh
        pending.append((row_no, cells))
        if no_fault:
            hh.fault(row_no, no_fault)
        try:
            p = person_plan.parse(cells)
            card = _id_card(p["id_number"], table.header_of("id_number"))
            if p["sex"] is not None and p["sex"] is not card.sex:
                raise RowFault(
                    table.header_of("sex"),
                    f"{p['sex'].value} contradicts the ID number ({card.sex.value})",
                    zh=f"{p['sex'].value} 与身份证号不符（身份证号为{card.sex.value}）",
                )
            if p["birth_date"] is not None and p["birth_date"] != card.birth_date:
                cell = cells[table.columns["birth_date"]]
                raise RowFault(
                    table.header_of("birth_date"),
                    f"{as_written(cell, p['birth_date'])} contradicts the ID number "
                    f"({card.birth_date})",
                    zh=f"{as_written(cell, p['birth_date'], zh=True)} 与身份证号中的出生日期"
                    f"（{card.birth_date}）不符",
                )
            hh.persons.append(
                Person(
                    row_no,
                    card.number,
                    p["name"],
                    card.sex,
                    card.birth_date,
                    p["relation"],
                    p["education"],
                    p["school"],
                    p["health"],
                    p["labour"],
                    p["work"],
                    p["head_name"] and sys.intern(p["head_name"]),  # one copy per household
                )
            )
            given = household_plan.parse(cells, given_only=True)
            if given:
                hh.values.append((row_no, given))
                if "township" in given or "village" in given:
                    carried = (given.get("township", carried[0]), given.get("village", carried[1]))
            if p["relation"] is Relation.HEAD:
                hh.carried = carried
        except RowFault as fault:
            hh.fault(row_no, fault)
    roster.keep_raw(pending_hh, pending)
    if roster.rows_read == 0:
        raise InputError(
            f"{table.where}: a header row but no person rows below it; nothing to import"
        )
    if progress is not None:
        progress(row_no, row_no)  # the read is over: 100%, whatever the guess of the last row
    if roster.subtotals:
        warn(f"{table.where}: skipped {roster.subtotals} subtotal row(s) (合计/小计)")
    if roster.footers:
        warn(
            f"{table.where}: skipped {roster.footers} signature row(s) below the data (填表人/审核人)"
        )
    _check_households(roster)
    return roster


def _id_card(value: Any, header: str) -> IdCard:
    try:
        return parse_id(value)
    except IdCardError as exc:
        raise RowFault.of(header, exc) from None


def _is_footer(cells: list[Any]) -> bool:
    return any(type(c) is str and any(m in c for m in FOOTER_MARKS) for c in cells)


def _is_subtotal(cells: list[Any], cols: list[int]) -> bool:
    n = len(cells)
    for i in cols:
        c = cells[i] if i < n else None
        if type(c) is str and "计" in c and any(m in c for m in SUBTOTAL_MARKS):
            return True
    return False


def _filled(c: Any) -> bool:
    return not (c is None or c == "" or (type(c) is str and c.isspace()))


def _join(values: tuple) -> str:
    return "\x1f".join("" if v is None else str(v) for v in values)


def _check_households(roster: Roster) -> None:
    """Household-level rules, then ID numbers shared between households."""
    h = roster.header
    owners: dict[str, tuple[Household, int]] = {}
    for hh in roster.households.values():
        seen: dict[str, int] = {}
        for p in hh.persons:
            if p.id_number in seen:
                hh.fault(
                    p.row,
                    RowFault(
                        h("id_number"),
                        f"身份证号 {p.id_number} appears twice in this household "
                        f"(row {seen[p.id_number]})",
                        zh=f"身份证号 {p.id_number} 在本户出现两次（另见第 {seen[p.id_number]} 行）",
                    ),
                )
            seen.setdefault(p.id_number, p.row)
            other = owners.get(p.id_number)
            if other is not None and other[0] is not hh:
                first, first_row = other
                hh.fault(p.row, _shared_id(h("id_number"), p.id_number, first.no, first_row))
                first.fault(first_row, _shared_id(h("id_number"), p.id_number, hh.no, p.row))
            else:
                owners[p.id_number] = (hh, p.row)
        if hh.faults:
            continue
        heads = [p for p in hh.persons if p.relation is Relation.HEAD]
        if not heads:
            hh.fault(
                hh.first_row,
                RowFault(
                    "",
                    f"household {hh.no} has no 户主; mark the head's 与户主关系 as 户主",
                    zh=f"户 {hh.no} 没有户主；请把户主的与户主关系填为 户主",
                ),
            )
            continue
        if len(heads) > 1:
            for extra in heads[1:]:
                hh.fault(
                    extra.row,
                    RowFault(
                        h("relation"),
                        f"a second 户主 in household {hh.no} (the first is row {heads[0].row})",
                        zh=f"户 {hh.no} 有第二个户主（第一个在第 {heads[0].row} 行）",
                    ),
                )
            continue
        head = heads[0]
        base = next((v for r, v in hh.values if r == head.row), {})
        for row, values in hh.values:
            if row == head.row:
                continue
            for key, value in values.items():
                if key not in base:
                    hh.fault(
                        row,
                        RowFault(
                            h(key),
                            f"given on a member row but blank on the 户主 row {head.row}; fill "
                            "it there",
                            zh=f"成员行填了，户主行（第 {head.row} 行）却为空；请在户主行填写",
                        ),
                    )
                elif base[key] != value:
                    shown, expected = _show(key, value), _show(key, base[key])
                    hh.fault(
                        row,
                        RowFault(
                            h(key),
                            f"'{shown}' differs from the 户主 row {head.row} ('{expected}')",
                            zh=f"'{shown}' 与户主行（第 {head.row} 行）的 '{expected}' 不同",
                        ),
                    )
        for p in hh.persons:
            if p.head_name is not None and p.head_name != head.name:
                hh.fault(
                    p.row,
                    RowFault(
                        h("head_name"),
                        f"'{p.head_name}' is not the 户主's name '{head.name}' (row {head.row})",
                        zh=f"'{p.head_name}' 不是户主的姓名 '{head.name}'（第 {head.row} 行）",
                    ),
                )
        for key, value in zip(("township", "village"), hh.carried, strict=True):
            if key not in base and value is not None:
                base[key] = value  # a merged cell above: the value carries down
            if key not in base:
                hh.fault(
                    head.row,
                    RowFault(
                        h(key), "blank on the 户主 row; fill it in", zh="户主行此格为空；请填写"
                    ),
                )
        if hh.faults:
            continue
        hh.township, hh.village = base["township"], base["village"]
        hh.group = base.get("group")
        hh.income_fen = base.get("income")
        hh.housing = base.get("housing")
        hh.housing_area = base.get("housing_area")
        hh.farmland_mu = base.get("farmland")
        hh.is_dibao, hh.is_wubao = base.get("is_dibao"), base.get("is_wubao")
        hh.relocation_zone = base.get("relocation_zone")
        hh.flags = {f: base.get(f) for f in FLAGS}
        hh.phone = base.get("phone")
        hh.head_name = head.name
        hh.values = []  # the fields above hold them now
        for p in hh.persons:
            p.head_name = None


def _shared_id(header: str, number: str, other: str, row: int) -> RowFault:
    return RowFault(
        header,
        f"身份证号 {number} also appears in household {other} (row {row})",
        zh=f"身份证号 {number} 也出现在户 {other}（第 {row} 行）",
    )


def _show(key: str, value: Any) -> str:
    if key == "income":
        return format_fen(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(getattr(value, "value", value))


def _v(member: Any) -> str | None:
    return None if member is None else member.value
