"""core/ is pure: it imports only the standard library, stdnum, and core itself."""

import ast
import sys
from pathlib import Path

CORE = Path(__file__).parents[2] / "src" / "fupin_cli" / "core"
ALLOWED_THIRD_PARTY = {"stdnum"}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_core_imports_nothing_impure():
    for path in sorted(CORE.glob("*.py")):
        for name in imports(path):
            top = name.split(".")[0]
            ok = (
                top in sys.stdlib_module_names
                or top in ALLOWED_THIRD_PARTY
                or name.startswith("fupin_cli.core")
            )
            assert ok, f"{path.name} imports {name}: core must stay pure"
            assert (
                top not in {"sqlite3", "io", "os", "pathlib", "shutil", "tempfile"}
                or path.name == "__init__.py"
            ), f"{path.name} imports {name}: core does no file or database I/O"


def test_classifier_imports_only_stdlib_and_core():
    for name in imports(CORE / "classifier.py"):
        top = name.split(".")[0]
        assert top in sys.stdlib_module_names or name.startswith("fupin_cli.core"), name
