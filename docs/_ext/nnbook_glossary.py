"""The book's glossary, gathered from ``docs/glossary/*.yaml``.

Each chapter keeps the terms it sets in bold beside it (format in CONTRIBUTING.md);
``{nnbook-glossary}`` renders them all, sorted, as a Sphinx glossary (so ``{term}``
links work anywhere), each entry ending with a link to where the term is taught. When
two chapters define the same term, the earlier chapter (by file name) wins. A file that
is no valid yaml or no list, or an entry that is no mapping or lacks its term,
definition or target, stops the build with an error naming the file (and the entry).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from docutils.statemachine import StringList
from sphinx.domains.std import Glossary
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective


def load_entries(folder: Path) -> list[dict]:
    """Every file's entries, checked; errors name the file, the entry and the problem."""
    entries, seen = [], set()
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except (OSError, yaml.YAMLError) as err:
            raise ExtensionError(f"glossary {path}: cannot read: {err}") from err
        if not isinstance(data, list):
            raise ExtensionError(f"glossary {path}: expected a list of entries")
        for i, entry in enumerate(data, 1):
            if not isinstance(entry, dict):
                raise ExtensionError(
                    f"glossary {path}, entry {i}: expected a mapping with term, definition "
                    f"and target, got {entry!r}"
                )
            missing = [k for k in ("term", "definition", "target") if not entry.get(k)]
            if missing:
                raise ExtensionError(f"glossary {path}, entry {i}: missing {', '.join(missing)}")
            key = str(entry["term"]).strip().lower()
            if key not in seen:
                seen.add(key)
                entries.append({**entry, "source": path})
    return sorted(entries, key=lambda e: str(e["term"]).lower())


class NnbookGlossary(SphinxDirective):
    has_content = False
    optional_arguments = 1

    def run(self):
        rel, folder = self.env.relfn2path(
            self.arguments[0] if self.arguments else "glossary", self.env.docname
        )
        entries = load_entries(Path(folder))
        lines = []
        for e in entries:
            self.env.note_dependency(str(e["source"]))
            definition = " ".join(str(e["definition"]).split())
            lines += [
                str(e["term"]).strip(),
                f"   {definition} *Taught in* {{ref}}`{e['target']}`.",
                "",
            ]
        glossary = Glossary(
            "glossary",
            [],
            {"sorted": True},
            StringList(lines, source=rel),
            self.lineno,
            self.content_offset,
            "",
            self.state,
            self.state_machine,
        )
        return glossary.run()


def setup(app):
    app.add_directive("nnbook-glossary", NnbookGlossary)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
