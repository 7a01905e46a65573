"""The layers of DESIGN.md hold: no import cycles, and no module imports a layer above it.

Every import counts, at module level or inside a function; only imports under
`if TYPE_CHECKING:` are left out, since they never run (Strawberry's lazy types name
their module that way).
"""

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "shopgraph"

# Lowest first; a module may import its own layer and the layers below it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "plain values",
        (
            "shopgraph",
            "shopgraph.settings",
            "shopgraph.money",
            "shopgraph.clock",
            "shopgraph.documents",
            "shopgraph.errors",
            "shopgraph.slots",
        ),
    ),
    (
        "storage and outside systems",
        ("shopgraph.datasources", "shopgraph.integrations", "shopgraph.migrations"),
    ),
    (
        "domain",
        (
            "shopgraph.auth",
            "shopgraph.catalog",
            "shopgraph.checkout",
            "shopgraph.services",
            "shopgraph.live",
        ),
    ),
    ("GraphQL edge", ("shopgraph.schema", "shopgraph.resolvers")),
    ("composition root", ("shopgraph.server", "shopgraph.__main__")),
]
# What a layer must never import, whatever its rank says.
GRAPHQL_AND_WEB = ("strawberry", "graphql", "starlette", "uvicorn")
DRIVER = ("pymongo", "motor")
FORBIDDEN_OUTSIDE: dict[str, tuple[str, ...]] = {
    "shopgraph.auth": GRAPHQL_AND_WEB + DRIVER,
    "shopgraph.catalog": GRAPHQL_AND_WEB + DRIVER,
    "shopgraph.checkout": GRAPHQL_AND_WEB + DRIVER,
    "shopgraph.services": GRAPHQL_AND_WEB + DRIVER,
    "shopgraph.live": GRAPHQL_AND_WEB,
    "shopgraph.datasources": GRAPHQL_AND_WEB,
    "shopgraph.integrations": GRAPHQL_AND_WEB,
    "shopgraph.migrations": GRAPHQL_AND_WEB,
}


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, list[str]]]:
    """Every import in `tree` outside `if TYPE_CHECKING:` blocks, as (module, names): for
    `from package import name`, `name` may be a module of its own."""
    found: list[tuple[str, list[str]]] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, [alias.name for alias in node.names]))
        pending.extend(ast.iter_child_nodes(node))
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """module -> what it imports: the package's own modules by name, anything else by its
    top-level package."""
    sources = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in sources.items():
        imported: set[str] = set()
        for base, names in _imports(
            ast.parse(path.read_text()), module, path.name == "__init__.py"
        ):
            if not _within(base, root.name):
                imported.add(base.split(".")[0])
                continue
            submodules = {f"{base}.{name}" for name in names} & sources.keys()
            imported |= submodules or {base}
        graph[module] = imported - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of two or more modules (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start] & graph.keys())))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child] & graph.keys()))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def layer_of(module: str) -> int:
    """The highest-ranked layer whose prefix is the longest match."""
    best, rank = -1, -1
    for position, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if _within(module, prefix) and len(prefix) > best:
                best, rank = len(prefix), position
    return rank


def violations(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module, imported in sorted(graph.items()):
        rank = layer_of(module)
        if rank < 0:
            found.append(f"{module} belongs to no layer: add it to LAYERS")
            continue
        forbidden = next(
            (names for prefix, names in FORBIDDEN_OUTSIDE.items() if _within(module, prefix)), ()
        )
        for name in sorted(imported):
            if name in graph and layer_of(name) > rank:
                found.append(
                    f"{module} ({LAYERS[rank][0]}) imports {name} ({LAYERS[layer_of(name)][0]})"
                )
            elif any(_within(name, outside) for outside in forbidden):
                found.append(f"{module} ({LAYERS[rank][0]}) imports {name}")
    return found


def test_shopgraph_has_no_import_cycles():
    assert cycles(import_graph(PACKAGE_ROOT)) == []


def test_every_module_imports_only_its_own_layer_and_those_below():
    assert violations(import_graph(PACKAGE_ROOT)) == []


def test_nothing_but_the_command_line_entry_point_imports_the_server():
    graph = import_graph(PACKAGE_ROOT)
    importers = {
        module
        for module, imported in graph.items()
        if any(_within(name, "shopgraph.server") for name in imported)
        and not _within(module, "shopgraph.server")
    }
    assert importers == {"shopgraph.__main__"}


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "shopgraph"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"checkout/__init__.py": "", "checkout/placing.py": "import strawberry\n"},
            ["shopgraph.checkout.placing (domain) imports strawberry"],
        ),
        (
            {
                "catalog/__init__.py": "",
                "catalog/rules.py": "def f():\n    from pymongo import errors\n",
            },
            ["shopgraph.catalog.rules (domain) imports pymongo"],
        ),
        (
            {
                "datasources/__init__.py": "",
                "datasources/orders.py": "from shopgraph.checkout import order_states\n",
                "checkout/__init__.py": "",
                "checkout/order_states.py": "",
            },
            [
                "shopgraph.datasources.orders (storage and outside systems) imports "
                "shopgraph.checkout.order_states (domain)"
            ],
        ),
    ],
)
def test_the_layering_check_catches_a_forbidden_import(tmp_path, files, expected):
    assert violations(import_graph(_package(tmp_path, files))) == expected


def test_the_cycle_check_catches_a_cycle_through_a_function_level_import(tmp_path):
    root = _package(
        tmp_path,
        {
            "schema/__init__.py": "",
            "schema/users.py": "from shopgraph.resolvers import user_orders\n",
            "resolvers/__init__.py": "",
            "resolvers/user_orders.py": "def f():\n    from shopgraph.schema.users import User\n",
            "resolvers/typed.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from shopgraph.schema.users import User\n"
            ),
        },
    )
    assert cycles(import_graph(root)) == [
        ["shopgraph.resolvers.user_orders", "shopgraph.schema.users"]
    ]
