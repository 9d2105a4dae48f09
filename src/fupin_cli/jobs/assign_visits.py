"""fupin assign visits: the 民情记录本 — who visited which household, when, and what came of it.

干部 is the cadre's 工号, 身份证号 or name (a name shared by two cadres is refused: write the 工号).
A visit is known by (日期, 干部, 户编号, 类型, 问题); a later sheet updates its amounts. A visit by
a cadre to a household they are not paired with is accepted (``fupin assign check`` lists it).
"""

from __future__ import annotations

from sqlalchemy import Connection

from fupin_cli.core.codes import VisitKind, clean_text
from fupin_cli.core.faults import Invalid
from fupin_cli.core.idcard import IdCardError, mask_id, normalise_id
from fupin_cli.db.bulk import executemany
from fupin_cli.db.engine import Database
from fupin_cli.io.sheets import Field, Spec, Table
from fupin_cli.jobs.assign_imports import ImportOptions, ImportResult, run_import
from fupin_cli.jobs.assign_queries import fetch, iso
from fupin_cli.jobs.rows import (
    MONEY,
    RECORD_DATE,
    TEXT,
    YES_NO,
    Col,
    Plan,
    RowFault,
    code,
    digits_text,
    integer,
    row_is_blank,
    unknown_household,
)

SPEC = Spec(
    [
        Field("date", "日期", ("走访日期", "帮扶日期", "visit date", "date"), required=True),
        Field(
            "cadre",
            "干部",
            ("帮扶干部", "帮扶责任人", "走访干部", "干部姓名", "干部工号", "cadre"),
            required=True,
        ),
        Field("household_no", "户编号", ("户号", "户码", "household no"), required=True),
        Field("kind", "类型", ("走访类型", "帮扶类型", "kind"), required=True),
        Field("money", "慰问金(元)", ("慰问金", "慰问金额", "money")),
        Field("goods", "物资折价(元)", ("物资折价", "物资", "goods")),
        Field("deeds", "办实事件数", ("办实事", "办实事(件)", "deeds")),
        Field("problem", "问题", ("反映问题", "存在问题", "问题及诉求", "problem")),
        Field("solved", "是否解决", ("解决情况", "已解决", "solved")),
    ]
)


COLUMNS = [
    Col("date", RECORD_DATE, required=True),
    Col("cadre", TEXT, required=True),
    Col("household_no", digits_text, required=True, cached=False),
    Col("kind", code(VisitKind), required=True),
    Col("money", MONEY),
    Col("goods", MONEY),
    Col("deeds", integer),  # 办实事件数: 0 or more
    Col("problem", TEXT, cached=False),
    Col("solved", YES_NO),
]


def run(db: Database, opts: ImportOptions) -> ImportResult:
    return run_import(db, opts, command="assign visits", spec=SPEC, importer=_import)


class Cadres:
    """Find a cadre by 工号, 身份证号 or unique name; answers are memoised per cell text."""

    def __init__(self, conn: Connection) -> None:
        self.by_staff: dict[str, int] = {}
        self.by_id: dict[str, int] = {}
        self.by_name: dict[str, list[tuple[int, str | None, str | None]]] = {}
        for cid, staff, idn, name in fetch(
            conn, "SELECT id, staff_no, id_number, name FROM cadre ORDER BY id"
        ):
            if staff:
                self.by_staff[clean_text(staff).upper()] = cid
            if idn:
                self.by_id[idn] = cid
            self.by_name.setdefault(clean_text(name), []).append((cid, staff, idn))
        self.memo: dict[str, int | Invalid] = {}

    def find(self, text: str) -> int:
        """The cadre a cell names (工号, 身份证号 or a unique name); raises ``Invalid``."""
        hit = self.memo.get(text)
        if hit is None:
            hit = self.memo[text] = self._find(text)
        if isinstance(hit, Invalid):
            raise hit
        return hit

    def _find(self, text: str) -> int | Invalid:
        key = clean_text(text)
        cid = self.by_staff.get(key.upper())
        if cid is not None:
            return cid
        try:
            cid = self.by_id.get(normalise_id(key))
        except IdCardError:
            pass
        if cid is not None:
            return cid
        named = self.by_name.get(key, [])
        if len(named) == 1:
            return named[0][0]
        if len(named) > 1:
            who = ", ".join(
                (f"工号 {staff}" if staff else mask_id(idn or "")) for _c, staff, idn in named
            )
            return Invalid(
                f"{len(named)} cadres are named {key} ({who}); write the 工号 instead",
                zh=f"有{len(named)}名干部叫 {key}（{who}）；请改填工号",
            )
        return Invalid(
            f"no cadre with 工号, 身份证号 or name '{text}'; "
            "check it, or import the cadre with 'fupin assign cadres' first",
            zh=f"没有工号、身份证号或姓名为 '{text}' 的干部；请核对，或先用 fupin assign cadres "
            "导入干部",
        )


def _import(conn: Connection, table: Table, batch_id: int, result: ImportResult) -> None:
    plan = Plan(table, COLUMNS)
    cadres = Cadres(conn)
    households = dict(fetch(conn, "SELECT household_no, id FROM household"))
    existing: dict[tuple, tuple] = {}
    for vid, date, cid, hid, kind, problem, *values in fetch(
        conn,
        "SELECT id, date, cadre_id, household_id, kind, problem, money_fen, goods_fen, deeds, "
        "solved FROM visit",
    ):
        solved = None if values[3] is None else bool(values[3])
        existing[(iso(date), cid, hid, kind, problem)] = (vid, (*values[:3], solved))

    h_cadre, h_no = table.header_of("cadre"), table.header_of("household_no")
    for total in ("money_fen", "goods_fen", "deeds"):  # totals of the accepted rows
        result.count(total, 0)
    seen: dict[tuple, int] = {}
    inserts: list[tuple] = []
    updates: list[tuple] = []
    for row_no, cells in table.rows:
        if row_is_blank(cells):
            continue
        result.rows_read += 1
        try:
            v = plan.parse(cells)
            try:
                cid = cadres.find(v["cadre"])
            except Invalid as exc:
                raise RowFault.of(h_cadre, exc) from None
            hid = households.get(v["household_no"])
            if hid is None:
                raise unknown_household(h_no, v["household_no"])
            key = (v["date"].isoformat(), cid, hid, v["kind"].value, v["problem"] or "")
            if key in seen:
                raise RowFault(
                    "",
                    f"the same visit (日期, 干部, 户编号, 类型, 问题) as row {seen[key]}",
                    zh=f"与第 {seen[key]} 行是同一次走访（日期、干部、户编号、类型、问题相同）",
                )
        except RowFault as fault:
            result.reject(row_no, cells, fault)
            continue
        seen[key] = row_no
        values = (v["money"] or 0, v["goods"] or 0, v["deeds"] or 0, v["solved"])
        result.sort(existing.get(key), key, values, batch_id, inserts, updates)
        result.count("money_fen", values[0])
        result.count("goods_fen", values[1])
        result.count("deeds", values[2])

    executemany(
        conn,
        "INSERT INTO visit (date, cadre_id, household_id, kind, problem, money_fen, goods_fen, "
        "deeds, solved, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        inserts,
    )
    executemany(
        conn,
        "UPDATE visit SET money_fen = ?, goods_fen = ?, deeds = ?, solved = ?, batch_id = ? "
        "WHERE id = ?",
        updates,
    )
