"""The four-category classifier (分类施策) — one pure module.

(Interim: the condition vocabulary the policy file may name. The classifier itself lands with
the classify issue.)
"""

from __future__ import annotations

CONDITIONS: dict[str, str] = {
    "no_able_worker": "no member able to work (普通/技能劳动力) of working age",
    "wubao": "五保户",
    "dibao": "低保户",
    "serious_illness": "a member 患有大病",
    "main_cause_illness": "main cause 因病",
    "relocation_zone": "lives in a relocation zone (一方水土养不起一方人)",
    "house_d_or_none": "house 危房D级 or none",
}
