"""The house: imports inside xchange/ point one way and never go round in a circle.

Every module under xchange/ is parsed (not imported) and every import statement counts, those
inside functions and under TYPE_CHECKING included: a function-level import is still a
dependency, only a later one. Two rules follow docs/STYLE's layout:

- no cycle between modules;
- a module imports only from its own room or a room above it (leaves -> db -> accounts ->
  programme -> register -> kpi -> exports -> imports -> pack/demo -> ui/web/cli).

`from xchange.db import engine_for` names the submodule that defines `engine_for`: a room's
`__init__.py` lists its public names in the literal `_SUBMODULES` map that its lazy
`__getattr__` reads, so the test resolves through it instead of hiding the edge.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "xchange"

# The rank of each room: a module may import from rooms of its own rank or lower.
RANKS = {
    "db": 1,
    "accounts": 2,
    "programme": 3,
    "register": 4,
    "kpi": 5,
    # exports sits below imports: the import plan borrows the export's pseudonyms.
    "exports": 6,
    "imports": 7,
    "pack": 8,
    "demo": 8,
    "ui": 9,
    "web": 9,
    "cli": 10,
    "__main__": 10,
}


def module_names() -> dict[str, Path]:
    """Every module of the package by dotted name (`xchange.db.engine` -> its path)."""
    names: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def room(module: str) -> str:
    """The room of `xchange.db.engine` is `db`; a leaf module is its own room."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "xchange"


def rank(module: str) -> int:
    """0 for the leaves: every module straight under xchange/ but the command line (config,
    errors, models, reference, presentation, dates, columns...); else its room's rank."""
    return RANKS.get(room(module), 0)


def lazy_map(path: Path) -> dict[str, str]:
    """The literal `_SUBMODULES` map of a room's `__init__.py`, or {} if it has none."""
    for node in ast.parse(path.read_text()).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id == "_SUBMODULES" and node.value is not None:  # type: ignore[attr-defined]
            value = ast.literal_eval(node.value)  # type: ignore[attr-defined]
            assert isinstance(value, dict)
            return {str(k): str(v) for k, v in value.items()}
    return {}


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The package modules `module` imports, anywhere in its body."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("xchange"):
                    yield closest(alias.name, modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            if not source.startswith("xchange"):
                continue
            for alias in node.names:
                yield resolve(source, alias.name, modules)


def closest(name: str, modules: dict[str, Path]) -> str:
    while name not in modules:
        name = name.rpartition(".")[0]
    return name


def resolve(source: str, name: str, modules: dict[str, Path]) -> str:
    """`from source import name`: the submodule, the module defining a lazy name, or source."""
    if f"{source}.{name}" in modules:
        return f"{source}.{name}"
    source = closest(source, modules)
    path = modules[source]
    if path.name == "__init__.py":
        submodule = lazy_map(path).get(name)
        if submodule is not None:
            return f"{source}.{submodule}"
    return source


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        graph[module] = {target for target in imports_of(module, path, modules) if target != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path `a -> b -> a`, or None (depth-first, iterative colouring)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_the_graph_sees_function_level_and_type_checking_imports() -> None:
    graph = import_graph()
    assert "xchange.models" in graph["xchange.db.engine"]
    # The figures `xchange kpi` and the API ask for import what they read inside functions, and
    # the headline's type under TYPE_CHECKING only.
    assert "xchange.programme.partnerships" in graph["xchange.kpi.figures"]
    assert "xchange.kpi.sums" in graph["xchange.kpi.figures"]


def test_no_import_cycles() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_imports_point_up_the_house() -> None:
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        for target in targets
        if rank(target) > rank(module)
    )
    assert wrong == []


def test_find_cycle_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_room_has_a_rank() -> None:
    rooms = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert rooms <= set(RANKS), f"give {sorted(rooms - set(RANKS))} a place in RANKS"


LAZY_ROOMS = ("db", "accounts", "programme", "kpi", "exports", "pack", "demo")


def test_importing_a_room_loads_nothing_heavy() -> None:
    """A room's `__init__` names its API lazily: the CLI and the reading child pay for a
    submodule (and SQLAlchemy, pandas...) only when they use one of its names."""
    import subprocess
    import sys

    rooms = ", ".join(f"xchange.{name}" for name in LAZY_ROOMS)
    code = (
        f"import sys, {rooms}\n"
        "heavy = sorted({'sqlalchemy', 'sqlmodel', 'pandas', 'numpy'} & set(sys.modules))\n"
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_every_public_name_of_a_room_resolves() -> None:
    import importlib

    for name in LAZY_ROOMS:
        package = importlib.import_module(f"xchange.{name}")
        assert sorted(package.__all__) == sorted(package._SUBMODULES), name
        for public, module in package._SUBMODULES.items():
            defined = getattr(importlib.import_module(f"xchange.{name}.{module}"), public)
            assert getattr(package, public) is defined, f"xchange.{name}.{public}"
