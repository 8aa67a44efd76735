#!/usr/bin/env python3
"""Fails when a crate of the workspace has an import circle that the allow-list does not name.

A module here is a top-level module of a crate (`src/<name>.rs` or `src/<name>/`); module A
uses module B when a file of A names `crate::B` (in a `use` or a path) or reaches B through
`super::`. A circle is a strongly connected set of two or more modules. The allow-list
(.ci/import-circles.allow, `<crate-dir>: <module> <module> ...` per line) holds the circles
that existed when this check was added; it may only shrink: a circle is allowed when its
modules are a subset of one allowed line, and a line that matches no circle any more is
reported so that it is deleted.

Usage: .ci/import-circles.py [--print]   (--print: print today's circles as allow-list lines)
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOW = ROOT / ".ci" / "import-circles.allow"
CRATES = [".", "wire", "crypto", "conformance", "examples/host", "examples/client", "examples/shell", "vectors"]

CRATE_PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
SUPER_PATH = re.compile(r"\b((?:super::)+)([a-z_][a-z0-9_]*)")
USE_GROUP = re.compile(r"\buse\s+crate::\{([^;]*)\}", re.S)
COMMENT = re.compile(r"//[^\n]*")


def module_path(src: Path, f: Path) -> list[str]:
    """The module path of a source file, e.g. src/a/b.rs -> ["a", "b"]."""
    parts = list(f.relative_to(src).with_suffix("").parts)
    if parts and parts[-1] in ("mod", "lib", "main"):
        parts.pop()
    if parts and parts[0] == "bin":
        return []
    return parts


def edges(crate: Path) -> dict[str, set[str]]:
    src = crate / "src"
    tops = {p.stem for p in src.glob("*.rs")} | {p.name for p in src.iterdir() if p.is_dir()}
    tops -= {"lib", "main", "bin"}
    g: dict[str, set[str]] = {t: set() for t in tops}
    for f in src.rglob("*.rs"):
        path = module_path(src, f)
        if not path:
            continue
        me = path[0]
        text = COMMENT.sub("", f.read_text(encoding="utf-8"))
        targets: set[str] = set(CRATE_PATH.findall(text))
        for group in USE_GROUP.findall(text):
            targets |= set(re.findall(r"(?:^|[,{]\s*)([a-z_][a-z0-9_]*)\s*::", group))
        # `super` of module `path` is `path[:-1]`.
        for supers, name in SUPER_PATH.findall(text):
            full = path[: max(len(path) - supers.count("super::"), 0)] + [name]
            targets.add(full[0])
        for t in targets:
            if t in g and t != me:
                g[me].add(t)
    return g


def circles(g: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of two or more nodes (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[frozenset[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    found = {c: sorted(frozenset(x) for x in circles(edges(ROOT / c))) for c in CRATES}
    if "--print" in sys.argv:
        for c, cs in found.items():
            for x in cs:
                print(f"{c}: {' '.join(sorted(x))}")
        return 0
    allowed: dict[str, list[set[str]]] = {}
    for line in ALLOW.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            crate, mods = line.split(":", 1)
            allowed.setdefault(crate.strip(), []).append(set(mods.split()))
    bad = []
    for c, cs in found.items():
        for x in cs:
            if not any(x <= a for a in allowed.get(c, [])):
                bad.append(f"{c}: {' '.join(sorted(x))}")
    for c, lines in allowed.items():
        for a in lines:
            if not any(x <= a and len(x) == len(a) for x in found.get(c, [])):
                print(f"import-circles: allowed circle gone or smaller, shrink the list: "
                      f"{c}: {' '.join(sorted(a))}")
    if bad:
        for b in bad:
            print(f"import-circles: new import circle: {b}")
        print("Break the circle (move the shared part into its own module) rather than "
              "adding it to .ci/import-circles.allow.")
        return 1
    print(f"import-circles: no new circles ({sum(len(v) for v in allowed.values())} allowed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
