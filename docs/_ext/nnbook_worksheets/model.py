"""The worksheets' document model: parts, chapters, exercises, and the blocks between them.

This module owns the data that passes from the doctree side (``collect``, ``converter``)
to the paper side (``flowables``, ``sheets``), and the few facts both need: the three
exercise levels, the file names of the PDFs and the type sizes. It imports nothing heavy.

An exercise's body and solution are lists of *blocks*, tuples whose first item names the
kind (``converter`` makes them, ``flowables`` lays them out):

* ``("para", markup)``: a paragraph of reportlab markup (inline math as ``<img>``);
* ``("code", text)`` and ``("output", text)``: a code cell's source, and what it printed;
* ``("math", MathImage, number)``: display math, with its equation number or "";
* ``("image", path)``; ``("figure", path, caption markup)``: a figure the text cites;
* ``("list", ordered, [blocks, ...])``: one list of blocks per item;
* ``("quote", blocks)``: an indented group (block quotes, admonitions, definitions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LEVELS = (("recall", "Recall"), ("apply", "Apply"), ("exam", "Exam-style"))
LEVEL_NAMES = dict(LEVELS)
LEVEL_PURPOSE = {
    "recall": "state the chapter's definitions and facts in your own words",
    "apply": "use the chapter's code and formulas on a case the chapter did not show",
    "exam": "combine ideas and explain your reasoning, on paper, as in an exam",
}
BODY_SIZE = 10.5  # points, the text of the worksheets
CAPTION_SIZE = 9


@dataclass
class Exercise:
    label: str
    level: str
    number: str  # "2.3", as the site shows it
    title: str  # markup (may hold math images)
    title_text: str  # plain text, for messages and tests
    body: list  # blocks
    solution: list | None = None
    docname: str = ""


@dataclass
class Chapter:
    docname: str
    number: str
    title: str
    url: str
    exercises: list = field(default_factory=list)


@dataclass
class Part:
    index: int  # 1, 2, ... in book order
    caption: str  # "Part I — What a neural network is"
    chapters: list = field(default_factory=list)

    @property
    def short(self) -> str:
        """The part's short name from its caption ("Part I"), else "Part 1"."""
        m = re.match(r"\s*(Part\s+[^\s—–:-]+)", self.caption)
        return m.group(1) if m else f"Part {self.index}"

    @property
    def chapter_range(self) -> str:
        nums = [c.number for c in self.chapters]
        if not nums:
            return ""
        return f"Chapter {nums[0]}" if len(nums) == 1 else f"Chapters {nums[0]}–{nums[-1]}"


@dataclass
class SheetInfo:
    book_title: str
    version: str
    baseurl: str


def pdf_name(part_index: int, kind: str) -> str:
    """``part-1-recall.pdf``; ``kind`` is a level or ``answers``."""
    return f"part-{part_index}-{kind}.pdf"
