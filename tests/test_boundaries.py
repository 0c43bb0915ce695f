"""Architecture rules: ``core`` never imports Streamlit or the frontend, and lint-imports sees
every module (the import contracts themselves are in pyproject.toml, run by .ci/run)."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import REPO


def test_core_source_has_no_streamlit_or_frontend_imports() -> None:
    offenders = []
    for path in (REPO / "core").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in {"streamlit", "frontend"}:
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno} imports {name}")
    assert not offenders, offenders


def test_importing_all_of_core_loads_no_streamlit() -> None:
    code = (
        "import importlib, pkgutil, sys, core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'frontend')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_folder_of_python_files_is_a_package() -> None:
    """lint-imports builds its graph from packages: a folder of ``.py`` files without an
    ``__init__.py`` (as ``frontend/views`` was) is left out of every contract, silently."""
    missing = sorted(
        str(folder.relative_to(REPO))
        for root in ("core", "navigator", "frontend")
        for folder in [REPO / root, *(p for p in (REPO / root).rglob("*") if p.is_dir())]
        if "__pycache__" not in folder.parts and any(folder.glob("*.py")) and not (folder / "__init__.py").exists()
    )
    assert not missing, f"add an __init__.py to {missing}"
