"""Draw geoplan's layers and the imports between them as a Mermaid diagram.

Run: .venv/bin/python scripts/import_graph.py (its output is the block in
docs/architecture.md); with --write it replaces that block in the page.

Each module is placed in its layer (the groups below, lowest first; the
import contracts in .importlinter keep the arrows pointing down), and an
arrow is drawn for every import between two groups, with how many modules
import across it.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import grimp

#: Layers, lowest first: each is a subpackage of geoplan; "core" holds the
#: modules directly under geoplan (errors, settings, progress, ...).
GROUPS = ["core", "places", "io", "access", "planning", "render", "workflows",
          "cases", "cli"]  # fmt: skip


def group_of(module: str) -> str:
    """Return the layer of a module (``geoplan.places.matcher`` -> ``places``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in GROUPS else "core"


def diagram() -> str:
    """Return the diagram as a Mermaid code block."""
    graph = grimp.build_graph("geoplan")
    modules = graph.modules - {"geoplan"}
    arrows: Counter[tuple[str, str]] = Counter()
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = group_of(module), group_of(imported)
            if imported != "geoplan" and a != b:
                arrows[(a, b)] += 1
    lines = ["```mermaid", "flowchart BT", *(f"    {g}" for g in GROUPS)]
    lines += [f"    {a} -->|{n}| {b}" for (a, b), n in sorted(arrows.items())]
    return "\n".join([*lines, "```"]) + "\n"


def main(argv: list[str]) -> int:
    """Print the diagram, or write it into docs/architecture.md (--write)."""
    text = diagram()
    if argv != ["--write"]:
        print(text, end="")
        return 0
    page = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"
    old = page.read_text(encoding="utf-8")
    start = old.index("```mermaid")
    end = old.index("```\n", start + 3) + 4
    page.write_text(old[:start] + text + old[end:], encoding="utf-8")
    print(f"updated {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
