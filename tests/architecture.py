"""Lifeline's import rules, and a checker that reads them off any source tree (an ``ast`` walk).

The packages stand on floors; an import may go to the same floor or down, never up:

    5  api  web  server  bot  cli   adapters (server: what the HTTP apps share)
    4  delivery                 publish, plan, batch, ledger, rate limits, worker
    3  access members notices faq messages conversations pages   domains: model, rules, store
       audit consents subscriptions scenarios approvals acknowledgements
    2  config  db               the configuration file; Redis connections, keys, scripts
    1  channels                 providers, one file each, and their transport pieces
    0  core                     vocabulary, defaults, errors: imports nothing of Lifeline

Besides the floors: no cycle between modules, nor between packages (two domains may use
each other one way only); ``api`` and ``bot`` use each other only through the package's
public face (``lifeline.bot``, never ``lifeline.bot.guard``). Every import counts,
including those inside functions and under ``TYPE_CHECKING``: each is a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

FLOORS: dict[str, int] = {
    "core": 0,
    "channels": 1,
    "config": 2,
    "db": 2,
    "access": 3,
    "members": 3,
    "notices": 3,
    "faq": 3,
    "messages": 3,
    "audit": 3,
    "conversations": 3,
    "consents": 3,
    "subscriptions": 3,
    "pages": 3,
    "scenarios": 3,
    "approvals": 3,
    "acknowledgements": 3,
    "delivery": 4,
    "api": 5,
    "web": 5,
    "server": 5,
    "bot": 5,
    "cli": 5,
}
"""The floor of each package of ``lifeline``; the package root itself is above them all."""

FACE_ONLY: frozenset[tuple[str, str]] = frozenset(
    {(adapter, "bot") for adapter in ("api", "web", "server")} | {("bot", "api")}
)
"""(from, to): packages that may import each other only through the other's ``__init__``."""


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement: which module imports which, and where."""

    source: str
    target: str
    line: int


@dataclass
class Graph:
    """The modules of a package tree and the imports between them."""

    root: str
    modules: set[str] = field(default_factory=set)
    imports: list[Import] = field(default_factory=list)

    def package_of(self, module: str) -> str | None:
        """The top-level package of a module (``lifeline.members.store`` → ``members``);
        None for the root's own modules."""
        parts = module.split(".")
        if len(parts) < 2 or f"{self.root}.{parts[1]}" not in self.packages():
            return None
        return parts[1]

    def packages(self) -> set[str]:
        return {m for m in self.modules if m.count(".") == 1 and self._is_package(m)}

    def _is_package(self, module: str) -> bool:
        return any(other.startswith(module + ".") for other in self.modules)


def read(source_root: Path, root: str) -> Graph:
    """Every module under ``source_root/root`` and the imports of Lifeline's own modules."""
    graph = Graph(root)
    files = sorted((source_root / root).rglob("*.py"))
    names = {_module_name(source_root, path): path for path in files}
    graph.modules = set(names)
    for module, path in names.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            for target in _targets(node, module, is_package, graph.modules):
                if target.split(".")[0] == root and target != module:
                    graph.imports.append(Import(module, target, getattr(node, "lineno", 0)))
    return graph


def violations(graph: Graph) -> list[str]:
    """Every broken rule, one line each, naming the importing module and line."""
    problems = [*_floor_violations(graph), *_face_violations(graph)]
    problems += [f"import cycle between modules: {' → '.join(c)}" for c in module_cycles(graph)]
    problems += [f"import cycle between packages: {' → '.join(c)}" for c in package_cycles(graph)]
    return problems


def module_cycles(graph: Graph) -> list[list[str]]:
    edges: dict[str, set[str]] = {}
    for imp in graph.imports:
        edges.setdefault(imp.source, set()).add(imp.target)
    return _cycles(edges)


def package_cycles(graph: Graph) -> list[list[str]]:
    edges: dict[str, set[str]] = {}
    for imp in graph.imports:
        source, target = graph.package_of(imp.source), graph.package_of(imp.target)
        if source and target and source != target:
            edges.setdefault(source, set()).add(target)
    return _cycles(edges)


def _floor_violations(graph: Graph) -> Iterable[str]:
    for imp in graph.imports:
        source, target = graph.package_of(imp.source), graph.package_of(imp.target)
        if source is None or target is None or source == target:
            continue
        if source not in FLOORS or target not in FLOORS:
            yield f"{imp.source}:{imp.line}: package {source or target!r} has no floor"
        elif FLOORS[target] > FLOORS[source]:
            yield (
                f"{imp.source}:{imp.line}: imports {imp.target} — upward, from {source} "
                f"(floor {FLOORS[source]}) to {target} (floor {FLOORS[target]})"
            )
        elif FLOORS[target] == FLOORS[source] and FLOORS[source] < 3:
            yield (
                f"{imp.source}:{imp.line}: imports {imp.target} — {source} and {target} "
                "share a floor"
            )


def _face_violations(graph: Graph) -> Iterable[str]:
    for imp in graph.imports:
        source, target = graph.package_of(imp.source), graph.package_of(imp.target)
        if (source, target) in FACE_ONLY and imp.target != f"{graph.root}.{target}":
            yield (
                f"{imp.source}:{imp.line}: imports {imp.target} — {source} may use {target} "
                f"only through {graph.root}.{target}"
            )


def _cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each as a
    closed path through it, so a message shows the loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(_loop(sorted(component), edges))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _loop(component: list[str], edges: Mapping[str, set[str]]) -> list[str]:
    """A path from the component's first node back to itself, inside the component."""
    members = set(component)
    start = component[0]
    path, seen = [start], {start}
    node = start
    while True:
        nxt = sorted(edges.get(node, set()) & members)
        back = start if start in nxt else next((n for n in nxt if n not in seen), None)
        if back is None or back == start:
            return [*path, start]
        path.append(back)
        seen.add(back)
        node = back


def _module_name(source_root: Path, path: Path) -> str:
    parts = list(path.relative_to(source_root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _targets(node: ast.AST, module: str, is_package: bool, modules: set[str]) -> list[str]:
    """The modules an import statement depends on (``from x import y``: ``x.y`` when that
    is a module, else ``x``)."""
    if isinstance(node, ast.Import):
        return [_known(alias.name, modules) for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    found = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        found.append(candidate if candidate in modules else _known(base, modules))
    return found


def _known(name: str, modules: set[str]) -> str:
    """The longest prefix of ``name`` that is a module of the tree (or ``name`` itself)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in modules:
            return prefix
    return name
