"""The package's shape: no import cycles (not even inside functions), one package per engine with its
handler table and LIMITATIONS, and only the moto package (lab_helpers/endpoint/moto/) importing moto."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from lab_helpers.endpoint.registry import ENGINE_PACKAGES

ROOT = Path(__file__).resolve().parents[1] / "lab_helpers"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py") if "lambda_src" not in p.parts}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every lab_helpers module `name` imports, at top level or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # `from pkg import module` imports the module; `from pkg import name` runs pkg/__init__
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        for t in targets:
            # the deepest known module the import names (a package, or a module of it)
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def _graph():
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def test_no_import_cycles_anywhere():
    graph = _graph()
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_detector_finds_a_cycle(tmp_path):
    """The detector above can fail: two modules importing each other inside functions form a cycle."""
    a = tmp_path / "a.py"
    a.write_text("def f():\n    from lab_helpers.b import g\n")
    b = tmp_path / "b.py"
    b.write_text("def g():\n    from lab_helpers.a import f\n")
    known = {"lab_helpers.a", "lab_helpers.b"}
    assert _imports("lab_helpers.a", a, known) == {"lab_helpers.b"}
    assert _imports("lab_helpers.b", b, known) == {"lab_helpers.a"}


@pytest.mark.parametrize("package", ENGINE_PACKAGES)
def test_each_engine_package_declares_its_tables_and_limitations(package):
    module = importlib.import_module(f"lab_helpers.engines.{package}")
    assert "LIMITATIONS" in (module.__doc__ or ""), f"engines/{package}/__init__.py must document its LIMITATIONS"
    assert isinstance(module.HANDLERS, dict) and isinstance(module.GUARDS, dict)
    assert module.HANDLERS or module.GUARDS
    for ref in {**module.HANDLERS, **module.GUARDS}.values():
        mod, _, attr = ref.partition(":")
        assert mod.startswith(f"lab_helpers.engines.{package}."), ref
        assert callable(getattr(importlib.import_module(mod), attr)), ref


def test_tests_mirror_the_engine_packages():
    tests = Path(__file__).resolve().parent / "engines"
    for package in ENGINE_PACKAGES:
        assert (tests / package / "__init__.py").exists(), f"tests/engines/{package}/ mirrors lab_helpers/engines/{package}/"


def test_only_the_moto_package_imports_moto():
    """lab_helpers.endpoint.moto (the package and its service modules) is the one place a moto
    upgrade can break; tests/endpoint/test_moto_contract.py pins what it uses."""
    offenders = []
    for name, path in _modules().items():
        if name == "lab_helpers.endpoint.moto" or name.startswith("lab_helpers.endpoint.moto."):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            if any(m == "moto" or m.startswith("moto.") for m in mods):
                offenders.append(name)
    assert offenders == []


def _labkit_reads(source: str) -> list[str]:
    """LABKIT_* variables the source reads: env.get/getenv/pop/setdefault("LABKIT_X"), env["LABKIT_X"]
    (not as an assignment target) and "LABKIT_X" in env. Writes for a child process are not reads."""
    def name(node):
        is_var = isinstance(node, ast.Constant) and isinstance(node.value, str)
        return node.value if is_var and node.value.startswith("LABKIT_") and node.value.isupper() else None

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func in ("get", "getenv", "pop", "setdefault") and name(node.args[0]):
                found.append(name(node.args[0]))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and name(node.slice):
            found.append(name(node.slice))
        elif isinstance(node, ast.Compare) and name(node.left) and \
                any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            found.append(name(node.left))
    return found


def test_only_config_reads_labkit_variables():
    """config.py is the one reader of LABKIT_* settings (STYLE.md); everyone else asks config.load()."""
    offenders = {name: reads for name, path in _modules().items() if name != "lab_helpers.config"
                 for reads in [_labkit_reads(path.read_text())] if reads}
    assert offenders == {}, f"read LABKIT_* outside lab_helpers/config.py: {offenders}"
    assert set(_labkit_reads((ROOT / "config.py").read_text())) >= {"LABKIT_HOME", "LABKIT_PORT", "LABKIT_CATCHUP"}
    assert _labkit_reads('import os\nenv = dict(os.environ)\nenv["LABKIT_CATCHUP"] = "1"\n'
                         'x = {"LABKIT_HOME": "/h"}\nprint("set LABKIT_TARGET=aws")\n') == []
    assert _labkit_reads('import os\na = os.environ.get("LABKIT_A")\nb = os.getenv("LABKIT_B")\n'
                         'c = os.environ["LABKIT_C"]\nd = "LABKIT_D" in os.environ\n') == \
        ["LABKIT_A", "LABKIT_B", "LABKIT_C", "LABKIT_D"]


def test_the_slowest_first_schedule_names_existing_modules():
    from lab_helpers.config import REPO_ROOT
    from tests.conftest import SLOWEST_FIRST

    assert [p for p in SLOWEST_FIRST if not (REPO_ROOT / p).is_file()] == []


def test_the_cli_starts_without_importing_nbformat():
    """nbformat pulls in jsonschema's format checkers (~1.3 s of imports): every `labkit` command paid it."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import sys, lab_helpers.cli; print('nbformat' in sys.modules)"],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
