"""fupin --help lists the commands in workflow order with one example each (issue 14 §6); the
examples are run, as printed, on files written here under the names they use."""

from __future__ import annotations

import shlex

from factories import household, person, village, write_villages, write_xlsx

WORKFLOW = ["init", "identify", "classify", "assign", "fund", "report", "assess"]
FUND_HEADERS = ["日期", "渠道", "类型", "金额(元)", "乡镇", "村", "用途", "文号", "拨付文号"]


def test_help_lists_the_workflow_with_one_example_each(cli, tmp_path, monkeypatch):
    result = cli("--help", db=False)
    assert result.exit_code == 0
    out = result.stdout
    listed = out[out.index("Commands:") :].splitlines()[1:]
    assert [line.split()[0] for line in listed if line.strip()] == WORKFLOW
    examples = [
        line.split("#")[0].strip()
        for line in out[: out.index("Options:")].splitlines()
        if line.strip().startswith("fupin ")
    ]
    assert [shlex.split(x)[1] for x in examples] == WORKFLOW

    # each example, as printed, in a folder holding the files it names
    monkeypatch.chdir(tmp_path)
    write_villages(tmp_path / "村情.xlsx", [village("漳江镇", "桃花村", "430725101201")])
    write_xlsx(tmp_path / "花名册.xlsx", household("E1", [person("甲")], income=1000))
    ledger = [
        {"日期": "2016-11-01", "渠道": "财政投入", "类型": "到位", "金额(元)": 50000, "文号": "R1"},
        {
            "日期": "2016-11-02",
            "渠道": "财政投入",
            "类型": "拨付",
            "金额(元)": 20000,
            "村": "桃花村",
            "用途": "产业发展",
            "文号": "A1",
        },
    ]
    write_xlsx(tmp_path / "资金台账.xlsx", ledger, FUND_HEADERS)
    codes = []
    for example in examples:
        r = cli(*shlex.split(example)[1:], db=False)
        assert "Traceback" not in r.stderr and "error" not in r.stderr, (example, r.stderr)
        codes.append(r.exit_code)
    # assign pair: no cadres imported yet, so a shortfall (exit 1); everything else done
    assert codes == [0, 0, 0, 1, 0, 0, 0]
    assert (tmp_path / "fupin.db").is_file() and (tmp_path / "2016Q4.xlsx").is_file()
    assert (tmp_path / "入户调查表.xlsx").is_file()
