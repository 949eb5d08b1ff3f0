"""Knowledge checks with instant feedback in a static page (no server).

Usage in a chapter::

    ```{quiz} ../quizzes/02-single-neuron.yaml
    ```

The questions live as data beside the chapter (format in CONTRIBUTING.md). A file
that breaks the format stops the build with an error naming the file, the question
(and answer) and the problem; a key the format does not know (``tolerence:``) is such
an error, since it would otherwise be ignored without a word. Each question is
rendered as buttons (multiple choice) or a number field (numeric), and
``_static/quiz.js`` shows the feedback written for the chosen answer. Without
JavaScript, and in print, each question shows its answer in a collapsed box instead.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import yaml
from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

_MATH = re.compile(r"\$([^$]+)\$")

# The keys each kind of question, and each answer of a choice question, may have: any
# other key is a typo (``tolerence:``) that would otherwise be silently ignored.
QUESTION_KEYS = {
    "choice": frozenset({"question", "type", "answers"}),
    "numeric": frozenset({"question", "type", "answer", "tolerance", "feedback"}),
}
ANSWER_KEYS = frozenset({"text", "correct", "feedback"})


def _text(value) -> str:
    """Escape text for HTML and mark ``$...$`` as inline math for MathJax."""
    escaped = html.escape(str(value), quote=True)
    return _MATH.sub(r'<span class="math notranslate nohighlight">\\(\1\\)</span>', escaped)


def _answer_key(answer, feedback) -> str:
    """The revealed key: the right answer as a sentence, then why (one full stop, not two)."""
    first = str(answer).rstrip()
    if not first.endswith((".", "?", "!")):
        first += "."
    return f"{_text(first)} {_text(feedback)}"


def _check_keys(where: str, item: dict, allowed: frozenset) -> None:
    unknown = sorted(str(k) for k in item if k not in allowed)
    if unknown:
        raise ExtensionError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(allowed))}"
        )


def load_quiz(path: Path) -> list[dict]:
    """Read and check a quiz file; errors name the file, the question and the problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ExtensionError(f"quiz {path}: cannot read: {err}") from err
    if not isinstance(data, list) or not data:
        raise ExtensionError(f"quiz {path}: expected a non-empty list of questions")
    for i, q in enumerate(data, 1):
        where = f"quiz {path}, question {i}"
        if not isinstance(q, dict):
            raise ExtensionError(f"{where}: expected a mapping, got {q!r}")
        kind = q.get("type", "choice")
        if isinstance(kind, str) and kind in QUESTION_KEYS:  # first: a misspelt key is
            _check_keys(where, q, QUESTION_KEYS[kind])  # the likely cause of the rest
        if not str(q.get("question", "")).strip():
            raise ExtensionError(f"{where}: needs a non-empty 'question'")
        if kind == "choice":
            answers = q.get("answers")
            if not isinstance(answers, list) or len(answers) < 2:
                raise ExtensionError(f"{where}: 'answers' must list at least two answers")
            for j, a in enumerate(answers, 1):
                if not isinstance(a, dict):
                    raise ExtensionError(f"{where}, answer {j}: expected a mapping, got {a!r}")
                _check_keys(f"{where}, answer {j}", a, ANSWER_KEYS)
            n_correct = sum(bool(a.get("correct")) for a in answers)
            if n_correct != 1:
                raise ExtensionError(
                    f"{where}: exactly one answer must be correct, got {n_correct}"
                )
            for j, a in enumerate(answers, 1):
                if not str(a.get("text", "")).strip() or not str(a.get("feedback", "")).strip():
                    raise ExtensionError(f"{where}, answer {j}: needs 'text' and 'feedback'")
        elif kind == "numeric":
            try:
                float(q["answer"]), float(q.get("tolerance", 0))
            except (KeyError, TypeError, ValueError) as err:
                raise ExtensionError(f"{where}: numeric questions need a number 'answer'") from err
            if not str(q.get("feedback", "")).strip():
                raise ExtensionError(f"{where}: numeric questions need 'feedback'")
        else:
            raise ExtensionError(f"{where}: unknown type {kind!r}; expected 'choice' or 'numeric'")
    return data


def render_quiz(questions: list[dict], quiz_id: str) -> str:
    out = [f'<div class="nnbook-quiz" id="{quiz_id}">', '<ol class="nnbook-quiz-list">']
    for i, q in enumerate(questions, 1):
        qid = f"{quiz_id}-q{i}"
        kind = q.get("type", "choice")
        out.append(f'<li class="nnbook-q" data-type="{kind}" id="{qid}">')
        out.append(f'<p class="nnbook-q-text" id="{qid}-text">{_text(q["question"])}</p>')
        if kind == "choice":
            out.append(f'<div class="nnbook-q-answers" role="group" aria-labelledby="{qid}-text">')
            for a in q["answers"]:
                correct = "true" if a.get("correct") else "false"
                label = html.escape(" ".join(str(a["text"]).replace("$", "").split()), quote=True)
                out.append(
                    f'<button type="button" class="nnbook-q-answer" data-correct="{correct}" '
                    f'aria-label="{label}" '
                    f'data-feedback="{html.escape(str(a["feedback"]), quote=True)}">'
                    f"{_text(a['text'])}</button>"
                )
            out.append("</div>")
            right = next(a for a in q["answers"] if a.get("correct"))
            key = _answer_key(right["text"], right["feedback"])
        else:
            out.append(
                f'<div class="nnbook-q-numeric"><label for="{qid}-input">Your answer</label> '
                f'<input type="text" inputmode="decimal" id="{qid}-input" class="nnbook-q-input" '
                f'autocomplete="off"> <button type="button" class="nnbook-q-check" '
                f'data-answer="{float(q["answer"])!r}" '
                f'data-tolerance="{float(q.get("tolerance", 0))!r}" '
                f'data-feedback="{html.escape(str(q["feedback"]), quote=True)}">'
                "Check</button></div>"
            )
            key = _answer_key(q["answer"], q["feedback"])
        out.append('<p class="nnbook-q-feedback" aria-live="polite"></p>')
        out.append(f'<details class="nnbook-q-key"><summary>Answer</summary><p>{key}</p></details>')
        out.append("</li>")
    out.append("</ol></div>")
    return "\n".join(out)


class QuizDirective(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self):
        rel, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        self.env.note_dependency(rel)
        questions = load_quiz(Path(path))
        serial = self.env.new_serialno("nnbook-quiz")
        quiz_id = f"quiz-{Path(path).stem}-{serial}"
        container = nodes.container(classes=["nnbook-quiz-container"])
        container += nodes.raw("", render_quiz(questions, quiz_id), format="html")
        return [container]


def setup(app):
    app.add_directive("quiz", QuizDirective)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
