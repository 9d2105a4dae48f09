"""fupin identify: read a roster, validate it household by household, upsert, assess, record.

The household is the unit: one faulty row rejects its whole household (the faulty row with its
reason, the others pointing at it). Good households go in, in one transaction with the batch
row; unchanged households cost a fingerprint comparison and write nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from fupin_cli.core.codes import Attribute, Relation, Status
from fupin_cli.core.idcard import age_on
from fupin_cli.core.identification import (
    Assessment,
    HouseholdFacts,
    apply_quota,
    assess,
    transition,
)
from fupin_cli.core.policy import Policy, PolicyError
from fupin_cli.db.audit import file_sha256, start_batch
from fupin_cli.db.bulk import executemany, next_id, paused_gc, rebuilt_indexes, sync_sequence
from fupin_cli.db.engine import Database, before_commit
from fupin_cli.db.geo import Geography
from fupin_cli.errors import UsageError
from fupin_cli.io.errors_file import ErrorFile, default_errors_path, import_hint
from fupin_cli.jobs import roster
from fupin_cli.jobs.rows import RowFault
from fupin_cli.jobs.villages import VillagesResult, import_villages

Warn = Callable[[str], None]


@dataclass
class IdentifyOptions:
    roster: Path | None = None
    villages: Path | None = None
    as_of: dt.date = field(default_factory=dt.date.today)
    dry_run: bool = False
    errors: Path | None = None
    villages_errors: Path | None = None
    sheet: str | None = None
    encoding: str | None = None
    allow_moves: bool = False


@dataclass
class IdentifyResult:
    rows_read: int = 0
    rows_rejected: int = 0
    households: int = 0
    persons: int = 0
    identified: int = 0
    review: int = 0
    not_identified: int = 0
    newly_identified: int = 0
    proposed_exit: int = 0
    exited: int = 0
    returned: int = 0
    removed: int = 0
    moves: int = 0
    moves_refused: int = 0
    members_dropped: int = 0  # members the roster no longer lists, taken off their household
    errors_file: str | None = None
    villages_errors_file: str | None = None
    villages_read: int = 0
    villages_rejected: int = 0
    villages_created: int = 0
    villages_updated: int = 0
    absent: dict[str, int] = field(
        default_factory=dict
    )  # village -> registered households not in the file
    by_township: dict[str, Counter] = field(default_factory=dict)
    dry_run: bool = False
    as_of: dt.date | None = None
    income_year: int | None = None  # the year of the income line the roster was judged by
    income_line_fen: int | None = None

    @property
    def problems(self) -> bool:
        return bool(self.rows_rejected or self.villages_rejected or self.moves_refused)

    def summary(self) -> dict[str, Any]:
        keys = (
            "rows_read",
            "rows_rejected",
            "households",
            "persons",
            "identified",
            "review",
            "not_identified",
            "newly_identified",
            "proposed_exit",
            "exited",
            "returned",
            "removed",
            "moves",
            "moves_refused",
            "members_dropped",
            "errors_file",
            "villages_errors_file",
            "villages_read",
            "villages_rejected",
            "villages_created",
            "villages_updated",
            "dry_run",
            "income_year",
            "income_line_fen",
        )
        out: dict[str, Any] = {k: getattr(self, k) for k in keys}
        out["as_of"] = self.as_of.isoformat() if self.as_of else None
        out["absent_households"] = dict(sorted(self.absent.items()))
        tallies = ("households", "persons", "identified", "review", "not_identified")
        out["by_township"] = [
            {"township": t, **{k: c[k] for k in tallies}}
            for t, c in sorted(self.by_township.items())
        ]
        return out


def run(
    db: Database,
    policy: Policy,
    opts: IdentifyOptions,
    *,
    warn: Warn,
    progress: roster.Progress | None = None,
) -> IdentifyResult:
    with paused_gc():
        return _run(db, policy, opts, warn=warn, progress=progress)


def _run(
    db: Database,
    policy: Policy,
    opts: IdentifyOptions,
    *,
    warn: Warn,
    progress: roster.Progress | None,
) -> IdentifyResult:
    if opts.roster is None and opts.villages is None:
        raise UsageError(
            "give a roster file, --villages FILE, or both (see 'fupin identify --help')"
        )
    line_fen = 0
    if opts.roster is not None:  # a villages sheet alone assesses nobody and needs no line
        try:
            line_fen = policy.income_line_fen(opts.as_of.year)
        except PolicyError as exc:
            raise UsageError(f"--as-of {opts.as_of}: {exc}") from None
    inputs = (opts.roster, opts.villages)
    roster_errors = (
        ErrorFile(opts.errors or default_errors_path(opts.roster), *inputs) if opts.roster else None
    )
    village_errors = (
        ErrorFile(opts.villages_errors or default_errors_path(opts.villages), *inputs)
        if opts.villages
        else None
    )

    parsed = (
        roster.read(
            opts.roster, sheet=opts.sheet, encoding=opts.encoding, warn=warn, progress=progress
        )
        if opts.roster
        else None
    )
    stage = progress.stage if progress is not None else _unnamed
    result = IdentifyResult(dry_run=opts.dry_run, as_of=opts.as_of)
    if opts.roster is not None:
        result.income_year, result.income_line_fen = opts.as_of.year, line_fen
    village_rejects: VillagesResult | None = None
    with ExitStack() as staged:  # the error files: published after the commit, else discarded
        for errors in (roster_errors, village_errors):
            if errors is not None:
                staged.enter_context(errors)
        with db.transaction(dry_run=opts.dry_run) as conn:
            batch = start_batch(
                conn,
                "identify",
                input_file=opts.roster or opts.villages,
                policy_version=policy.version,
                arguments={
                    "roster": opts.roster,
                    "villages": opts.villages,
                    "villages_sha256": file_sha256(opts.villages)
                    if opts.villages and opts.roster
                    else None,
                    "as_of": opts.as_of,
                    "allow_moves": opts.allow_moves,
                },
            )
            geo = Geography.load(conn)
            if opts.villages:
                stage(f"importing {opts.villages.name}")
                village_rejects = import_villages(
                    conn, opts.villages, geo=geo, batch_id=batch.id, as_of=opts.as_of, warn=warn
                )
                result.villages_read = village_rejects.rows_read
                result.villages_rejected = village_rejects.rows_rejected
                result.villages_created = village_rejects.created
                result.villages_updated = village_rejects.updated
                result.villages_errors_file = village_errors.stage(
                    village_rejects.headers, village_rejects.rejected
                )
                before_commit(conn, village_errors.publish)
            if parsed is not None:
                _register(conn, geo, parsed, policy, line_fen, opts, batch.id, result, stage)
                rejected = parsed.rejected_rows()
                result.rows_read = parsed.rows_read
                result.rows_rejected = len(rejected)
                if rejected:
                    stage(f"writing {len(rejected):,} rejected row(s) to the error workbook")
                result.errors_file = roster_errors.stage(parsed.table.headers, rejected)
                before_commit(conn, roster_errors.publish)
            batch.finish(
                _batch_counts(result), outcome="data_problems" if result.problems else "ok"
            )
            stage("committing to the register" if not opts.dry_run else "dry run: writing nothing")
    if result.villages_errors_file:
        warn(
            f"{result.villages_rejected} village row(s) rejected; "
            + import_hint(result.villages_errors_file, "identify --villages")
        )
    return result


def _unnamed(_label: str) -> None:
    """No progress bar: a stage goes unnamed."""


def _batch_counts(r: IdentifyResult) -> dict[str, Any]:
    s = r.summary()
    s.pop("by_township")
    return s


# -- registering the accepted households ------------------------------------------------------


@dataclass
class _Existing:
    id: int
    status: Status
    fingerprint: str | None
    assessed: str | None  # fingerprint of the latest assessment
    proposed_year: int | None


def _load_existing(conn: Connection) -> tuple[dict[str, _Existing], dict[str, int]]:
    latest = dict(
        conn.execute(
            text(
                "SELECT a.household_id, a.fingerprint FROM assessment a "
                "JOIN (SELECT household_id, max(id) AS id FROM assessment GROUP BY household_id) m ON m.id = a.id"
            )
        ).all()
    )
    proposed = dict(
        conn.execute(
            text(
                "SELECT household_id, max(date) FROM status_event WHERE event = 'proposed_exit' GROUP BY household_id"
            )
        ).all()
    )
    households = {}
    for hid, no, status, fp in conn.execute(
        text("SELECT id, household_no, status, fingerprint FROM household")
    ):
        p = proposed.get(hid)
        year = int(str(p)[:4]) if p else None
        households[no] = _Existing(hid, Status(status), fp, latest.get(hid), year)
    persons = dict(conn.execute(text("SELECT id_number, household_id FROM person")).all())
    return households, persons


def _born_by(parsed: roster.Roster, today: dt.date) -> None:
    """A member born after today is a mistyped 出生日期 or 身份证号: the household is rejected.
    (A baby born after --as-of but before the roster was made is a member all the same.)"""
    column = parsed.header("birth_date" if "birth_date" in parsed.table.columns else "id_number")
    for hh in parsed.accepted():
        for p in hh.persons:
            if p.birth_date > today:
                hh.fault(
                    p.row,
                    RowFault(
                        column,
                        f"born {p.birth_date}, a day still to come; check the 出生日期 and 身份证号",
                        zh=f"出生于 {p.birth_date}，这一天还没到；请核对出生日期和身份证号",
                    ),
                )


def _place(geo: Geography, parsed: roster.Roster) -> None:
    """Each household's 乡镇/村 as the register knows it. 村 may hold the village's 12-digit
    code. Once the register's villages carry codes (a villages sheet was imported), that list is
    the county's: a 村 or 乡镇 it does not hold is a spelling to fix (the household is rejected),
    not a new village. A register without codes grows its villages from the rosters."""
    listed = bool(geo.by_code)
    h = parsed.header
    for hh in parsed.accepted():
        if (hh.township, hh.village) in geo.villages:
            continue
        head_row = next((p.row for p in hh.persons if p.relation is Relation.HEAD), hh.first_row)
        vid = geo.by_code.get(hh.village)
        if vid is not None:
            township, name = geo.names[vid]
            if hh.township and hh.township != township:
                hh.fault(
                    head_row,
                    RowFault(
                        h("township"),
                        f"村 {hh.village} is the code of {township}/{name}, not of a village in "
                        f"{hh.township}; check the 乡镇 or the code",
                        zh=f"村 {hh.village} 是 {township}/{name} 的代码，不是 {hh.township} "
                        "的村；请核对乡镇或代码",
                    ),
                )
            else:
                hh.township, hh.village = township, name
            continue
        if not listed:
            continue
        if hh.township not in geo.townships:
            townships = "、".join(sorted(geo.townships))
            hh.fault(
                head_row,
                RowFault(
                    h("township"),
                    f"no township {hh.township} in the register; check the spelling "
                    f"(townships: {townships})",
                    zh=f"库中没有乡镇 {hh.township}；请核对写法（现有乡镇：{townships}）",
                ),
            )
            continue
        known = sorted(v for t, v in geo.villages if t == hh.township)
        hh.fault(
            head_row,
            RowFault(
                h("village"),
                f"no village {hh.village} in {hh.township} in the register; check the spelling "
                f"(its villages: {'、'.join(known) or 'none'}) or add the village with --villages",
                zh=f"库中 {hh.township} 没有村 {hh.village}；请核对写法（该乡镇的村："
                f"{'、'.join(known) or '无'}），或用 --villages 导入村表",
            ),
        )


def _register(
    conn: Connection,
    geo: Geography,
    parsed: roster.Roster,
    policy: Policy,
    line_fen: int,
    opts: IdentifyOptions,
    batch_id: int,
    result: IdentifyResult,
    stage: Callable[[str], None],
) -> None:
    stage("comparing with the register")
    existing, person_home = _load_existing(conn)
    hid_to_no = {e.id: no for no, e in existing.items()}
    as_of = opts.as_of
    as_of_text = as_of.isoformat()

    _place(geo, parsed)  # before the moves: a household rejected here moves nobody
    _born_by(parsed, dt.date.today())
    # A person registered under another household: a move (--allow-moves) or a data problem.
    moves: list[tuple[str, int, str]] = []  # (id, from household id, to household no)
    for hh in parsed.accepted():
        own = existing.get(hh.no)
        for p in hh.persons:
            home = person_home.get(p.id_number)
            if home is None or (own is not None and home == own.id):
                continue
            if opts.allow_moves:
                moves.append((p.id_number, home, hh.no))
            else:
                other = hid_to_no.get(home, home)
                hh.fault(
                    p.row,
                    RowFault(
                        parsed.header("id_number"),
                        f"身份证号 {p.id_number} is registered in household {other}, "
                        f"not {hh.no}; if the person moved, run again with --allow-moves",
                        zh=f"身份证号 {p.id_number} 已登记在户 {other}，不在户 {hh.no}；"
                        "如此人已迁入本户，请加 --allow-moves 重新导入",
                    ),
                )
                result.moves_refused += 1
                break

    accepted = list(parsed.accepted())
    stage(f"assessing {len(accepted):,} households")
    quota_in: list[tuple[str, Assessment]] = []
    for hh in accepted:
        for p in hh.persons:  # a Person has every attribute a core Member has, plus the age now
            p.age = age_on(p.birth_date, as_of)
        facts = HouseholdFacts(
            members=tuple(hh.persons),
            income_fen=hh.income_fen,
            housing=hh.housing,
            housing_area=hh.housing_area,
            farmland_mu=hh.farmland_mu,
            flags=hh.flags,
        )
        quota_in.append((hh.no, assess(facts, policy.identify, line_fen)))
    decided = apply_quota(quota_in, policy.identify.quota)

    stage(f"writing {len(accepted):,} households to the register")
    new_hh: list[tuple] = []
    upd_hh: list[tuple] = []
    person_rows: list[tuple] = []
    assessments: list[tuple] = []
    events: list[tuple] = []
    status_updates: list[tuple] = []
    hid = next_id(conn, "household")
    run_ids: dict[str, int] = {}  # 户编号 -> id, for the households of this run
    for hh in accepted:
        a = decided[hh.no]
        vid, _created = geo.village_id(conn, hh.township, hh.village, batch_id=batch_id)
        township = hh.township
        tally = result.by_township.setdefault(township, Counter())
        tally["households"] += 1
        tally["persons"] += len(hh.persons)
        tally[a.decision.key] += 1
        result.households += 1
        result.persons += len(hh.persons)
        setattr(result, a.decision.key, getattr(result, a.decision.key) + 1)

        fp = hh.fingerprint(vid)
        own = existing.get(hh.no)
        is_new = own is None
        if own is None:
            own = _Existing(hid, Status.UNIDENTIFIED, None, None, None)
            hid += 1
        run_ids[hh.no] = own.id
        values = (
            vid,
            hh.group,
            hh.income_fen,
            _v(hh.housing),
            hh.housing_area,
            hh.farmland_mu,
            hh.is_dibao,
            hh.is_wubao,
            hh.relocation_zone,
            *(hh.flags.get(f) for f in roster.FLAGS),
            hh.phone,
            hh.head_name,
            fp,
            batch_id,
        )
        changed = own.fingerprint != fp
        if changed:
            person_rows.extend(p.row_values(own.id, batch_id) for p in hh.persons)
        if not is_new and changed:
            upd_hh.append((*values, own.id))

        assessed_fp = _digest(f"{fp}|{policy.version}|{as_of.year}|{a.decision.key}")
        if own.assessed == assessed_fp:
            continue  # same facts, same policy, same round: nothing new to record
        other_causes = _json([c._value_ for c in a.other_causes])
        assessments.append(
            (
                own.id,
                as_of_text,
                policy.version,
                *(a.scores[d] for d in roster.DIMENSIONS),
                a.score,
                a.deprived,
                a.income_fen,
                a.line_fen,
                _json(a.vetoes),
                a.decision.key,
                _v(a.main_cause),
                other_causes,
                _json(a.reasons),
                assessed_fp,
                batch_id,
            )
        )
        step = transition(own.status, a, proposed_year=own.proposed_year, year=as_of.year)
        status = step.to_status if step else own.status
        if step:
            events.append(
                (
                    own.id,
                    as_of_text,
                    step.event,
                    own.status._value_,
                    status._value_,
                    step.reason,
                    batch_id,
                )
            )
            counter = EVENT_COUNTERS.get(step.event)
            if counter:
                setattr(result, counter, getattr(result, counter) + 1)
        attribute = None
        if status.registered or status is Status.EXITED:
            kind = (
                Attribute.WUBAO
                if hh.is_wubao
                else Attribute.DIBAO
                if hh.is_dibao
                else Attribute.GENERAL
            )
            attribute = kind._value_
        lifecycle = (status._value_, attribute, _v(a.main_cause), other_causes)
        if is_new:
            new_hh.append(
                (own.id, hh.no, *lifecycle, *values)
            )  # inserted with its status: no second pass
        else:
            status_updates.append((*lifecycle, own.id))

    for pid, from_hid, to_no in moves:
        to_id = run_ids.get(to_no)
        events.append(
            (
                from_hid,
                as_of_text,
                "member_moved",
                None,
                None,
                f"{pid} moved to household {to_no}",
                batch_id,
            )
        )
        if to_id is not None:
            events.append(
                (
                    to_id,
                    as_of_text,
                    "member_moved",
                    None,
                    None,
                    f"{pid} moved in from household {hid_to_no.get(from_hid, from_hid)}",
                    batch_id,
                )
            )
    result.moves = len(moves)

    cols = (
        "village_id, group_name, income_per_capita_fen, housing, housing_area, farmland_mu, is_dibao, is_wubao, "
        "relocation_zone, has_public_servant, has_vehicle, has_town_property, has_business, phone, head_name, "
        "fingerprint, batch_id"
    )
    # a first county load writes more rows than the register holds: its secondary indexes are
    # rebuilt once at the end instead of being kept up row by row (same transaction)
    bulk = len(person_rows) > len(person_home)
    with rebuilt_indexes(conn, ("household", "person", "assessment") if bulk else ()):
        executemany(
            conn,
            f"INSERT INTO household (id, household_no, status, attribute, main_cause, other_causes, {cols}) "
            "VALUES (?, ?, ?, ?, ?, ?, "
            f"{', '.join('?' * 17)})",
            new_hh,
        )
        sync_sequence(conn, "household")
        executemany(
            conn,
            "UPDATE household SET "
            + ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
            + " WHERE id = ?",
            upd_hh,
        )
        stale_members = _stale_members(person_home, upd_hh, accepted)
        result.members_dropped = executemany(
            conn,
            "DELETE FROM person WHERE id_number = ? AND household_id = ? "
            "AND NOT EXISTS (SELECT 1 FROM pairing WHERE person_id = person.id_number) "
            "AND NOT EXISTS (SELECT 1 FROM loan WHERE borrower_id = person.id_number) "
            "AND NOT EXISTS (SELECT 1 FROM measure_record WHERE person_id = person.id_number)",
            stale_members,
        )
        executemany(
            conn,
            "INSERT INTO person (id_number, household_id, name, sex, birth_date, relation, education, "
            "school_status, health, labour_skill, work_status, batch_id) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id_number) DO UPDATE SET "
            "household_id = excluded.household_id, name = excluded.name, sex = excluded.sex, "
            "birth_date = excluded.birth_date, relation = excluded.relation, "
            "education = excluded.education, school_status = excluded.school_status, "
            "health = excluded.health, labour_skill = excluded.labour_skill, "
            "work_status = excluded.work_status, batch_id = excluded.batch_id",
            sorted(person_rows),  # in key order the primary-key index grows at its end
        )
        executemany(
            conn,
            "INSERT INTO assessment (household_id, as_of, policy_version, housing_score, production_score, "
            "labour_score, education_score, health_score, score, deprived, income_per_capita_fen, "
            "income_line_fen, vetoes, decision, main_cause, other_causes, reasons, fingerprint, batch_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            assessments,
        )
        executemany(
            conn,
            "INSERT INTO status_event (household_id, date, event, from_status, to_status, reason, batch_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            events,
        )
        executemany(
            conn,
            "UPDATE household SET status = ?, attribute = ?, main_cause = ?, other_causes = ? "
            "WHERE id = ?",
            status_updates,
        )
    result.absent = _absent(conn, geo, accepted, parsed)


def _stale_members(
    person_home: dict[str, int],
    upd_hh: list[tuple],
    accepted: Iterable[roster.Household],
) -> list[tuple]:
    """Members of updated households whom the roster no longer lists anywhere (they are removed
    unless a pairing, loan or measure record still names them; a member the roster lists in
    another household moves there instead)."""
    changed = {row[-1] for row in upd_hh}
    if not changed:
        return []
    listed = {p.id_number for hh in accepted for p in hh.persons}
    return [(pid, hid) for pid, hid in person_home.items() if hid in changed and pid not in listed]


def _absent(
    conn: Connection, geo: Geography, accepted: list[roster.Household], parsed: roster.Roster
) -> dict[str, int]:
    """Registered households of the villages this roster covers that the roster does not list."""
    covered = {
        geo.villages[(hh.township, hh.village)]
        for hh in accepted
        if (hh.township, hh.village) in geo.villages
    }
    if not covered:
        return {}
    listed = parsed.household_nos
    registered = ("已识别", "预脱贫", "返贫")
    out: Counter = Counter()
    for no, vid in conn.execute(
        text(f"SELECT household_no, village_id FROM household WHERE status IN {registered!r}")
    ):
        if vid in covered and no not in listed:
            out[geo.label(vid)] += 1
    return dict(out)


EVENT_COUNTERS = {
    "identified": "newly_identified",
    "proposed_exit": "proposed_exit",
    "exited": "exited",
    "returned": "returned",
    "removed": "removed",
}


def _v(member) -> str | None:
    return None if member is None else member._value_


_encode = json.JSONEncoder(
    ensure_ascii=False
).encode  # one encoder: json.dumps(…, ensure_ascii=False) builds one per call


def _json(value) -> str:
    return _encode(list(value)) if value else "[]"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
