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

step identify "$here/roster.xlsx" --villages "$here/villages.xlsx" --as-of "$AS_OF" --errors out/roster.errors.xlsx
echo "done: $problems step(s) reported data problems; database $FUPIN_DB" >&2
exit 0
