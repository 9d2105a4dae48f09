"""The village, project and household a fund row names, by code or name (for fupin fund)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from fupin_cli.core.faults import Invalid
from fupin_cli.db.geo import Geography
from fupin_cli.db.models import Household, Project
from fupin_cli.errors import UsageError

_project = Project.__table__  # type: ignore[attr-defined]
_household = Household.__table__  # type: ignore[attr-defined]


class RefError(Invalid):
    """A village, project or household a row names that the register does not hold (or not
    there); ``field`` is the row's field at fault."""

    def __init__(self, field: str, message: str, *, zh: str) -> None:
        super().__init__(message, zh=zh)
        self.field = field
        self.message = message


class Refs:
    """Finds the village, project and household a row names; loads projects and households on
    first use."""

    def __init__(self, conn: Connection, geo: Geography | None = None) -> None:
        self.conn = conn
        self.geo = geo or Geography.load(conn)
        self._villages: dict[tuple[str | None, str], int] = {}
        self._projects: dict[tuple[int, str], int] | None = None
        self._project_names: dict[str, list[int]] = {}
        self._project_village: dict[int, int] = {}
        self._project_label: dict[int, str] = {}
        self._households: dict[str, tuple[int, int]] | None = None
        self._household_no: dict[int, str] = {}

    def village(self, township: str | None, village: str) -> int:
        key = (township, village)
        vid = self._villages.get(key)
        if vid is None:
            is_code = village.isdigit() and len(village) == 12
            text = f"{township}/{village}" if township and not is_code else village
            try:
                vid = self.geo.find(text)
            except UsageError as exc:
                raise RefError("village", str(exc), zh=self.geo.ambiguous_zh(text)) from None
            if vid is None:
                raise RefError(
                    "village",
                    f"no village '{text}' in the register; give its 12-digit code, its name or "
                    "乡镇/村 (villages come from 'fupin identify --villages')",
                    zh=f"库中没有村 '{text}'；请填12位代码、村名或 乡镇/村（村表由 fupin identify "
                    "--villages 导入）",
                )
            self._villages[key] = vid
        return vid

    def _load_projects(self) -> None:
        self._projects = {}
        for pid, vid, name in self.conn.execute(
            select(_project.c.id, _project.c.village_id, _project.c.name)
        ):
            self._remember_project(pid, vid, name)

    def _remember_project(self, pid: int, vid: int, name: str) -> None:
        assert self._projects is not None
        self._projects[(vid, name)] = pid
        self._project_names.setdefault(name, []).append(pid)
        self._project_village[pid] = vid
        self._project_label[pid] = name

    def project(self, name: str, vid: int | None) -> int:
        if self._projects is None:
            self._load_projects()
        assert self._projects is not None
        if vid is not None:
            pid = self._projects.get((vid, name))
            if pid is None:
                raise RefError(
                    "project",
                    f"no project '{name}' in {self.geo.label(vid)}; "
                    "record it with 'fupin fund projects FILE' first",
                    zh=f"{self.geo.label(vid)} 没有项目 '{name}'；请先用 fupin fund projects 登记",
                )
            return pid
        ids = self._project_names.get(name, [])
        if not ids:
            raise RefError(
                "project",
                f"no project '{name}' in the register; record it with 'fupin fund projects FILE'",
                zh=f"库中没有项目 '{name}'；请先用 fupin fund projects 登记",
            )
        if len(ids) > 1:
            where = sorted(self.geo.label(self._project_village[i]) for i in ids)
            raise RefError(
                "project",
                f"project '{name}' is in several villages ({', '.join(where)}); give the village",
                zh=f"几个村都有项目 '{name}'（{'、'.join(where)}）；请填村",
            )
        return ids[0]

    def project_village(self, pid: int) -> int:
        if self._projects is None:
            self._load_projects()
        return self._project_village[pid]

    def project_name(self, pid: int | None) -> str:
        if pid is None:
            return ""
        if self._projects is None:
            self._load_projects()
        return self._project_label.get(pid, str(pid))

    def _load_households(self) -> dict[str, tuple[int, int]]:
        if self._households is None:
            self._households = {}
            for hid, no, vid in self.conn.execute(
                select(_household.c.id, _household.c.household_no, _household.c.village_id)
            ):
                self._households[no] = (hid, vid)
                self._household_no[hid] = no
        return self._households

    def household(self, no: str) -> tuple[int, int]:
        found = self._load_households().get(no)
        if found is None:
            raise RefError(
                "household",
                f"no household {no} in the register (import the roster first)",
                zh=f"库中没有户 {no}（请先导入花名册）",
            )
        return found

    def household_no(self, hid: int | None) -> str:
        if hid is None:
            return ""
        self._load_households()
        return self._household_no.get(hid, str(hid))

    def name(self, field: str, value: int) -> str:
        """A village, project or household id as people know it (for messages)."""
        if field == "village":
            return self.geo.label(value) if value in self.geo.names else str(value)
        if field == "project":
            return self.project_name(value)
        return self.household_no(value)

    def target(
        self,
        township: str | None,
        village: str | None,
        project: str | None,
        household: str | None,
    ) -> tuple[int | None, int | None, int | None]:
        """(village id, project id, household id) of a row; all must be in one village."""
        vid = self.village(township, village) if village else None
        hid = None
        if household:
            hid, hvid = self.household(household)
            if vid is not None and hvid != vid:
                raise RefError(
                    "household",
                    f"household {household} is in {self.geo.label(hvid)}, not {self.geo.label(vid)}",
                    zh=f"户 {household} 在 {self.geo.label(hvid)}，不在 {self.geo.label(vid)}",
                )
            vid = hvid
        pid = None
        if project:
            pid = self.project(project, vid)
            vid = self.project_village(pid)
        return vid, pid, hid
