"""An import-linter contract that import-linter lacks: no import cycle among a package's modules.

``acyclic_siblings`` looks at siblings one package at a time, so a cycle that runs through
several apps (``invites.services`` -> ``members.trials`` -> ``invites.services``) slips past
it. This one looks at every module of the package at once and reports each strongly
connected group of modules with one path around it. Registered in ``pyproject.toml`` under
``[tool.importlinter] contract_types``.
"""

from __future__ import annotations

from typing import Any

import grimp
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class AcyclicModulesContract(Contract):
    type_name = "acyclic_modules"

    containers = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        containers: list[str] = list(self.containers)  # type: ignore[call-overload]  # import-linter's fields are untyped
        modules = sorted(
            module
            for module in graph.modules
            if any(module == container or module.startswith(container + ".") for container in containers)
        )
        cycles = [self._path_around(graph, group) for group in _cyclic_groups(graph, modules)]
        return ContractCheck(kept=not cycles, warnings=[], metadata={"cycles": cycles})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for path in check.metadata["cycles"]:
            output.print_error(" -> ".join(path), bold=False)
            output.new_line()

    @staticmethod
    def _path_around(graph: grimp.ImportGraph, group: list[str]) -> list[str]:
        """One import chain from the group's first module back to itself, for the report."""
        start = group[0]
        for imported in sorted(graph.find_modules_directly_imported_by(start)):
            if imported in group:
                chain = graph.find_shortest_chain(importer=imported, imported=start)
                if chain:
                    return [start, *chain]
        return group


def _cyclic_groups(graph: grimp.ImportGraph, modules: list[str]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively; only groups of two or more."""
    inside = set(modules)
    edges: dict[str, list[str]] = {
        module: sorted(graph.find_modules_directly_imported_by(module) & inside) for module in modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in modules:
        if root in index:
            continue
        work: list[tuple[str, Any]] = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups
