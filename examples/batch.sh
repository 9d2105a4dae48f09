#!/usr/bin/env bash
# The clerk's scheduled run: identify → classify → assign → fund → report, into ./out/.
# Stops at the first step that exits 2 (usage error or unreadable input: nothing was written);
# goes on after 1 (done, but data problems were found — see the error files in out/).
# Exits 0 when every step ended 0 or 1.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
FUPIN="${FUPIN:-fupin}"
AS_OF="${AS_OF:-2016-09-30}"
QUARTER="${QUARTER:-2016Q3}"
mkdir -p out
export FUPIN_DB="${FUPIN_DB:-out/fupin.db}"
problems=0

step() {
  echo "== fupin $*" >&2
  "$FUPIN" "$@"
  rc=$?
  case $rc in
    0) ;;
    1) problems=$((problems + 1)); echo "   (data problems found; continuing)" >&2 ;;
    *) echo "   stopped: 'fupin $*' exited $rc" >&2; exit "$rc" ;;
  esac
}

POLICY=(--policy "$here/policy.toml")

step identify "$here/roster.xlsx" --villages "$here/villages.xlsx" --as-of "$AS_OF" "${POLICY[@]}" \
  --errors out/roster.errors.xlsx
step classify --as-of "$AS_OF" "${POLICY[@]}"
step assign cadres "$here/cadres.xlsx" --errors out/cadres.errors.xlsx
step assign teams "$here/teams.xlsx" --errors out/teams.errors.xlsx
step assign pair --as-of "$AS_OF" "${POLICY[@]}"
step assign visits "$here/visits.xlsx" --errors out/visits.errors.xlsx
step assign measures "$here/measures.xlsx" "${POLICY[@]}" --errors out/measures.errors.xlsx
step assign check --as-of "$AS_OF" "${POLICY[@]}" --format json > out/gaps.json
step fund projects "$here/projects.xlsx" "${POLICY[@]}" --errors out/projects.errors.xlsx
step fund import "$here/funds.xlsx" "${POLICY[@]}" --errors out/funds.errors.xlsx
step fund loans "$here/loans.xlsx" "${POLICY[@]}" --errors out/loans.errors.xlsx
step fund check --year "${AS_OF:0:4}" "${POLICY[@]}"
step report --quarter "$QUARTER" "${POLICY[@]}" --format xlsx -o "out/report-$QUARTER.xlsx"
step report --quarter "$QUARTER" "${POLICY[@]}" --format json > "out/report-$QUARTER.json"
step report --quarter "$QUARTER" "${POLICY[@]}" -o "out/report-$QUARTER.docx"
step report --quarter "$QUARTER" "${POLICY[@]}" --level township
echo "done: $problems step(s) reported data problems; database $FUPIN_DB" >&2
exit 0
