"""Draw geoplan's layers and the imports between them as a Mermaid diagram.

Run: .venv/bin/python scripts/import_graph.py > docs/architecture-graph.md

Each module is placed in its layer (the groups below, lowest first; the
import contracts in .importlinter keep the arrows pointing down), and an
arrow is drawn for every import between two groups, with how many modules
import across it.
"""

from __future__ import annotations

import sys
from collections import Counter

import grimp

#: Layers, lowest first: name -> the modules in it (by module name).
GROUPS = {
    "ground": ["errors", "settings", "crs", "coords", "boundaries", "precision",
               "_version", "_progress", "_secrets", "_numbers"],
    "io": ["_atomic", "_guard", "_tables", "_io", "layers", "ingest", "export",
           "gazetteer_files",
           "styles"],
    "places": ["gazetteer", "_national", "reconcile", "matcher", "geocode",
               "providers"],
    "access": ["costs", "network", "coverage", "service_areas", "presets"],
    "planning": ["categories", "plans", "candidates", "siting", "report"],
    "render": ["maps", "charts", "basemaps", "_assets", "_html"],
    "workflows": ["analysis", "workflows", "workflows.coverage",
                  "workflows.recommend", "workflows._job"],
    "cases": ["demo", "relocation"],
    "cli": ["cli", "_cli_args", "_cli_coverage", "_cli_export", "_cli_geocode",
            "_cli_map", "_cli_plan", "_cli_recommend", "_cli_run"],
}  # fmt: skip


def main() -> int:
    """Print the diagram; fail when a module belongs to no group."""
    graph = grimp.build_graph("geoplan")
    group_of = {f"geoplan.{m}": g for g, ms in GROUPS.items() for m in ms}
    modules = graph.modules - {"geoplan"}
    missing = sorted(modules - set(group_of))
    if missing:
        print(f"modules in no group: {missing}", file=sys.stderr)
        return 1
    arrows: Counter[tuple[str, str]] = Counter()
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = group_of[module], group_of.get(imported)
            if b is not None and a != b:
                arrows[(a, b)] += 1
    print("```mermaid\nflowchart BT")
    for group in GROUPS:
        print(f"    {group}")
    for (a, b), n in sorted(arrows.items()):
        print(f"    {a} -->|{n}| {b}")
    print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
