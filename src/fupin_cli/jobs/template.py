"""The empty roster template townships fill in: fixed headers, text ID column, dropdowns."""

from __future__ import annotations

from pathlib import Path

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
from fupin_cli.errors import UsageError
from fupin_cli.io.document import county_heading
from fupin_cli.io.xlsx import TEXT_FORMAT, header_row, new_workbook, save_workbook, write_table
from fupin_cli.jobs.roster import FLAGS, SPEC

TEMPLATE_ROWS = 1000
CODED = {
    "sex": Sex,
    "relation": Relation,
    "education": Education,
    "school": SchoolStatus,
    "health": Health,
    "labour": LabourSkill,
    "work": WorkStatus,
    "housing": Housing,
}
YES_NO = ("is_dibao", "is_wubao", "relocation_zone", *FLAGS)
TEXT_COLUMNS = ("household_no", "id_number", "phone")
NOTES = {
    "township": "乡镇名称 (township)",
    "village": "行政村名称 (village)",
    "group": "村民小组 (group)",
    "household_no": "户编号, 每户唯一; 同户成员可留空 (household number; members may leave it blank)",
    "name": "姓名 (name)",
    "id_number": "18位身份证号, 请以文本格式填写 (18-digit ID number, typed as text)",
    "sex": "可留空, 由身份证号推出 (blank: taken from the ID)",
    "birth_date": "可留空, 由身份证号推出; 如 2016-09-30",
    "head_name": "户主姓名, 须与户主行一致 (must match the head's name)",
    "income": "家庭年人均纯收入, 元 (yuan per person per year)",
    "housing_area": "住房面积, 平方米",
    "farmland": "耕地面积, 亩",
    "phone": "联系电话 (文本)",
}


def write_template(path: Path, *, county: str = "") -> Path:
    if path.suffix.lower() != ".xlsx":
        raise UsageError(
            f"--template {path}: the template is an .xlsx file; give a name ending in .xlsx"
        )
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = new_workbook()
    headers = [f.header for f in SPEC.fields]
    heading = county_heading(
        county, "建档立卡贫困户识别花名册", "____乡镇 ____村", period="填报日期：____年__月__日"
    ).but(unit="元、人")
    ws = write_table(wb, "花名册", headers, [], heading=heading)
    top = header_row(ws)
    for i, f in enumerate(SPEC.fields, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 8, 12)
        if f.key in TEXT_COLUMNS:
            for r in range(top + 1, top + TEMPLATE_ROWS + 1):
                ws.cell(row=r, column=i).number_format = TEXT_FORMAT
        choices = (
            [m.value for m in CODED[f.key]]
            if f.key in CODED
            else ["是", "否"]
            if f.key in YES_NO
            else None
        )
        if choices:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=f.header,
                error="请从下拉列表中选择",
            )
            dv.add(f"{letter}{top + 1}:{letter}{top + TEMPLATE_ROWS}")
            ws.add_data_validation(dv)
    ws.auto_filter.ref = None
    rows = []
    for f in SPEC.fields:
        codes = CODED.get(f.key)
        values = codes.choices() if codes else "是 / 否" if f.key in YES_NO else ""
        rows.append(
            [
                f.header,
                "必填 required" if f.required else "",
                NOTES.get(f.key, ""),
                values,
                "、".join(f.aliases),
            ]
        )
    write_table(
        wb,
        "填表说明",
        [
            "列名 column",
            "必填",
            "说明 meaning",
            "可选值 valid values",
            "也认可的列名 also accepted",
        ],
        rows,
        heading=heading.but(
            title=f"{county}建档立卡贫困户识别花名册·填表说明", scope="", period=""
        ),
    )
    return save_workbook(wb, path, "--template")
