"""Reading a chapter: every exercise with its level, number, title, body and solution.

This module owns the link to sphinx-exercise: it finds the ``exercise`` and ``solution``
nodes of a chapter's resolved doctree, tells an exercise's level from its label
(``ex-<slug>-<level>-<n>``) or else its title ("Recall: ..."), and hands the nodes to a
:class:`~nnbook_worksheets.converter.Converter`. The result is a
:class:`~nnbook_worksheets.model.Chapter`.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

from . import numbering
from .converter import Converter
from .model import Chapter, Exercise

logger = logging.getLogger(__name__)

LABEL_LEVEL = re.compile(r"-(recall|apply|exam)-\d+$")
TITLE_LEVEL = {"Recall": "recall", "Apply": "apply", "Exam-style": "exam", "Exam": "exam"}


def exercise_level(label: str, title_text: str) -> str | None:
    """The level of an exercise from its label, else from its title; None if neither says."""
    m = LABEL_LEVEL.search(label)
    if m:
        return m.group(1)
    head = title_text.split(":", 1)[0].strip()
    return TITLE_LEVEL.get(head)


def split_title(conv: Converter, title) -> tuple[str, str]:
    """Markup and text of an exercise's own title, without sphinx-exercise's " ( ... )"."""
    children = list(title.children)
    parts = [conv.inline_node(c) for c in children]
    text = "".join(c.astext() for c in children)
    markup = "".join(parts).strip()
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
        markup = markup.removeprefix("(").removesuffix(")").strip()
    return markup, " ".join(text.split())


def collect_chapter(app, docname: str, cache_dir: Path, fontsize: float) -> Chapter:
    """Every exercise of a chapter with its solution, in order, from the resolved doctree."""
    from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node, solution_node

    env = app.env
    doctree = env.get_and_resolve_doctree(docname, app.builder)
    title = " ".join(env.titles[docname].astext().split()) if docname in env.titles else docname
    base = app.config.nnbook_baseurl.rstrip("/") + "/"
    number = numbering.chapter_number(env, docname)
    chapter = Chapter(docname, number, title, f"{base}{docname}.html")
    by_label = {}
    figures = {}
    for figure in doctree.findall(nodes.figure):
        for id_ in figure.get("ids", []):
            figures[id_] = figure
    for node in doctree.findall(lambda n: isinstance(n, (exercise_node, exercise_enumerable_node))):
        label = node.get("label", "")
        conv = Converter(env, cache_dir, fontsize, f"{docname}, exercise {label}", docname)
        conv.figures = figures
        title_node = node.children[0] if node.children else None
        title_markup, title_text = ("", "")
        if isinstance(title_node, nodes.title):
            title_markup, title_text = split_title(conv, title_node)
        level = exercise_level(label, title_text)
        if level is None:
            logger.warning(
                f"worksheets: {docname}: exercise {label!r} ({title_text!r}) has no level; "
                "label it ex-<slug>-recall-N, -apply-N or -exam-N",
                location=docname,
                type="nnbook",
                subtype="worksheets",
            )
            continue
        ids = node.get("ids") or [label]
        number = numbering.exercise_number(env, docname, ids[0])
        body = []
        for child in node.children[1:]:
            body.extend(conv.block(child))
        body.extend(conv.figure_blocks())  # a figure the exercise asks about, on paper too
        exercise = Exercise(label, level, number, title_markup, title_text, body, docname=docname)
        chapter.exercises.append(exercise)
        by_label[label] = exercise
    for node in doctree.findall(solution_node):
        target = node.get("target_label", "")
        if target not in by_label:
            continue
        conv = Converter(env, cache_dir, fontsize, f"{docname}, solution to {target}", docname)
        body = []
        for child in node.children[1:]:
            body.extend(conv.block(child))
        by_label[target].solution = body
    return chapter
