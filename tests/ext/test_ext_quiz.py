"""``nnbook_quiz``: a quiz file renders as questions with feedback; a bad one stops the build.

Every error must name the file and the question, so that an author with 20 quiz files
knows which one to open.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx.errors import ExtensionError

pytest.importorskip("myst_parser")

BOOK_QUIZZES = sorted((Path(__file__).resolve().parents[2] / "docs" / "quizzes").glob("*.yaml"))

GOOD_QUESTION = """\
- question: "A first, valid question?"
  answers:
    - {text: "yes", correct: true, feedback: "right"}
    - {text: "no", feedback: "wrong"}
"""


def _quiz(app) -> BeautifulSoup:
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser").select_one("div.nnbook-quiz")


@pytest.mark.sphinx("html", testroot="quiz", freshenv=True)
def test_a_valid_quiz_renders_every_question_with_its_answers_and_feedback(app):
    app.build()
    assert app.warning.getvalue() == ""
    quiz = _quiz(app)
    assert quiz is not None and quiz["id"] == "quiz-good-0"
    questions = quiz.select("li.nnbook-q")
    assert [q["data-type"] for q in questions] == ["choice", "numeric", "choice"]

    first = questions[0].select("button.nnbook-q-answer")
    assert [b.get_text() for b in first] == ["ReLU", "tanh", "sigmoid, written <b>sigma</b>"]
    assert [b["data-correct"] for b in first] == ["true", "false", "false"]
    assert first[0]["data-feedback"] == "Right: ReLU is max(0, x)."
    assert first[2]["data-feedback"] == 'sigmoid is positive everywhere: "never zero".'
    assert questions[0].select_one("details.nnbook-q-key p").get_text() == (
        "ReLU. Right: ReLU is max(0, x)."
    )  # the answer without JavaScript
    assert len(questions[2].select("button.nnbook-q-answer")) == 2
    assert questions[2].select_one("details.nnbook-q-key p").get_text() == (
        "No, it is shallow. Deep means many hidden layers."
    )  # an answer that is already a sentence gets no second full stop

    check = questions[1].select_one("button.nnbook-q-check")
    assert (check["data-answer"], check["data-tolerance"]) == ("4.0", "0.5")
    assert check["data-feedback"] == "Two and two make four."
    assert questions[1].select_one("span.math").get_text() == r"\(2 + 2\)"  # $...$ for MathJax
    assert questions[1].select_one("input.nnbook-q-input") is not None


@pytest.mark.sphinx("html", testroot="quiz", freshenv=True)
def test_author_text_is_escaped_not_injected(app):
    app.build()
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    assert "<b>sigma</b>" not in html
    assert "&lt;b&gt;sigma&lt;/b&gt;" in html


def test_editing_the_quiz_file_rebuilds_the_page(copy_root, make_app):
    src = copy_root("quiz")
    first = make_app("html", srcdir=src)
    first.build()
    first.cleanup()  # one Sphinx app at a time: directives are registered globally
    quiz = src / "quizzes" / "good.yaml"
    quiz.write_text(GOOD_QUESTION + quiz.read_text(encoding="utf-8"), encoding="utf-8")
    app = make_app("html", srcdir=src)  # same build folder: an incremental build
    app.build()
    questions = _quiz(app).select("li.nnbook-q")
    assert len(questions) == 4
    assert questions[0].select_one("p.nnbook-q-text").get_text() == "A first, valid question?"


BAD = {
    "no answers": (
        '- question: "Pick one?"\n',
        "question 2: 'answers' must list at least two answers",
    ),
    "a single answer": (
        '- question: "Pick one?"\n  answers:\n    - {text: "a", correct: true, feedback: "f"}\n',
        "question 2: 'answers' must list at least two answers",
    ),
    "no correct answer": (
        '- question: "Pick one?"\n  answers:\n'
        '    - {text: "a", feedback: "f"}\n    - {text: "b", feedback: "f"}\n',
        "question 2: exactly one answer must be correct, got 0",
    ),
    "a misspelt key in an answer": (
        '- question: "Pick one?"\n  answers:\n'
        '    - {text: "a", feedback: "f"}\n    - {text: "b", corect: true, feedback: "f"}\n',
        "question 2, answer 2: unknown key 'corect'; allowed: correct, feedback, text",
    ),
    "an answer that is not a mapping": (
        '- question: "Pick one?"\n  answers:\n'
        '    - {text: "a", correct: true, feedback: "f"}\n    - "b"\n',
        "question 2, answer 2: expected a mapping, got 'b'",
    ),
    "a misspelt key in a numeric question": (
        '- question: "How many?"\n  type: numeric\n  answer: 4\n  tolerence: 1\n  feedback: "f"\n',
        "question 2: unknown key 'tolerence'; allowed: answer, feedback, question, tolerance, type",
    ),
    "feedback on a choice question, not on its answers": (
        '- question: "Pick one?"\n  feedback: "f"\n  hint: "h"\n  answers:\n'
        '    - {text: "a", correct: true, feedback: "f"}\n    - {text: "b", feedback: "f"}\n',
        "question 2: unknown keys 'feedback', 'hint'; allowed: answers, question, type",
    ),
    "two correct answers": (
        '- question: "Pick one?"\n  answers:\n'
        '    - {text: "a", correct: true, feedback: "f"}\n'
        '    - {text: "b", correct: true, feedback: "f"}\n',
        "question 2: exactly one answer must be correct, got 2",
    ),
    "an answer without feedback": (
        '- question: "Pick one?"\n  answers:\n'
        '    - {text: "a", correct: true, feedback: "f"}\n    - {text: "b"}\n',
        "question 2, answer 2: needs 'text' and 'feedback'",
    ),
    "a misspelt 'answers'": (
        '- question: "Pick one?"\n  anwsers:\n'
        '    - {text: "a", correct: true, feedback: "f"}\n    - {text: "b", feedback: "f"}\n',
        "question 2: unknown key 'anwsers'; allowed: answers, question, type",
    ),
    "a question that is not a mapping": (
        '- "Pick one?"\n',
        "question 2: expected a mapping, got 'Pick one?'",
    ),
    "no question text": (
        '- question: "  "\n  answers:\n'
        '    - {text: "a", correct: true, feedback: "f"}\n    - {text: "b", feedback: "f"}\n',
        "question 2: needs a non-empty 'question'",
    ),
    "numeric without answer": (
        '- question: "How many?"\n  type: numeric\n  feedback: "f"\n',
        "question 2: numeric questions need a number 'answer'",
    ),
    "numeric answer not a number": (
        '- question: "How many?"\n  type: numeric\n  answer: four\n  feedback: "f"\n',
        "question 2: numeric questions need a number 'answer'",
    ),
    "numeric without feedback": (
        '- question: "How many?"\n  type: numeric\n  answer: 4\n',
        "question 2: numeric questions need 'feedback'",
    ),
    "unknown type": (
        '- question: "Explain."\n  type: essay\n  feedback: "f"\n',
        "question 2: unknown type 'essay'; expected 'choice' or 'numeric'",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_each_kind_of_bad_question_stops_the_build_naming_file_and_question(
    case, copy_root, make_app
):
    text, message = BAD[case]
    src = copy_root("quiz")
    quiz = src / "quizzes" / "good.yaml"
    quiz.write_text(GOOD_QUESTION + text, encoding="utf-8")
    app = make_app("html", srcdir=src)
    with pytest.raises(ExtensionError, match=re.escape(f"quiz {quiz}, {message}")):
        app.build()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected a non-empty list of questions"),
        ("question: not in a list\n", "expected a non-empty list of questions"),
        ("- question: [unclosed\n", "cannot read"),
    ],
    ids=["empty", "not a list", "yaml syntax"],
)
def test_an_unreadable_quiz_file_stops_the_build_naming_the_file(
    text, message, copy_root, make_app
):
    src = copy_root("quiz")
    quiz = src / "quizzes" / "good.yaml"
    quiz.write_text(text, encoding="utf-8")
    with pytest.raises(ExtensionError, match=re.escape(f"quiz {quiz}: {message}")):
        make_app("html", srcdir=src).build()


def test_a_missing_quiz_file_stops_the_build_naming_it(copy_root, make_app):
    src = copy_root("quiz")
    (src / "quizzes" / "good.yaml").unlink()
    with pytest.raises(ExtensionError, match=r"quiz .*good\.yaml: cannot read"):
        make_app("html", srcdir=src).build()


def test_an_unknown_key_stops_the_build(copy_root, make_app):
    src = copy_root("quiz")
    quiz = src / "quizzes" / "good.yaml"
    quiz.write_text(
        GOOD_QUESTION
        + '- question: "How many?"\n  type: numeric\n  answer: 4\n  tolerence: 1\n'
        + '  feedback: "f"\n',
        encoding="utf-8",
    )
    with pytest.raises(ExtensionError, match=re.escape(f"quiz {quiz}, question 2")):
        make_app("html", srcdir=src).build()


@pytest.mark.parametrize("path", BOOK_QUIZZES, ids=[p.stem for p in BOOK_QUIZZES])
def test_every_quiz_of_the_book_passes_the_checks(path):
    import nnbook_quiz  # docs/_ext is on sys.path (conftest)

    assert len(nnbook_quiz.load_quiz(path)) >= 3  # CONTRIBUTING.md: 3+ questions
