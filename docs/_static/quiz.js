/* Knowledge checks: instant feedback in a static page. Rendered by docs/_ext/nnbook_quiz.py. */
(function () {
  "use strict";

  function typeset(el) {
    if (window.MathJax && window.MathJax.typesetPromise) {
      window.MathJax.typesetPromise([el]).catch(function () {});
    }
  }

  function escapeHtml(s) {
    return s.replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function withMath(s) {
    return escapeHtml(s).replace(/\$([^$]+)\$/g, '<span class="math notranslate nohighlight">\\($1\\)</span>');
  }

  function show(q, ok, text) {
    var box = q.querySelector(".nnbook-q-feedback");
    box.className = "nnbook-q-feedback " + (ok ? "is-correct" : "is-wrong");
    box.innerHTML = "<strong>" + (ok ? "Correct." : "Not quite.") + "</strong> " + withMath(text);
    typeset(box);
  }

  function parseNumber(s) {
    var t = s.trim().replace(/\u2212/g, "-").replace(",", ".");
    if (t === "" || isNaN(Number(t))) return null;
    return Number(t);
  }

  function init(quiz) {
    quiz.classList.add("nnbook-quiz-ready");
    quiz.querySelectorAll(".nnbook-q").forEach(function (q) {
      q.querySelectorAll(".nnbook-q-answer").forEach(function (btn) {
        btn.setAttribute("aria-pressed", "false");
        btn.addEventListener("click", function () {
          q.querySelectorAll(".nnbook-q-answer").forEach(function (b) {
            b.classList.remove("is-chosen", "is-correct", "is-wrong");
            b.setAttribute("aria-pressed", "false");
          });
          var ok = btn.dataset.correct === "true";
          btn.classList.add("is-chosen", ok ? "is-correct" : "is-wrong");
          btn.setAttribute("aria-pressed", "true");
          show(q, ok, btn.dataset.feedback);
        });
      });
      var check = q.querySelector(".nnbook-q-check");
      if (check) {
        var input = q.querySelector(".nnbook-q-input");
        var run = function () {
          var value = parseNumber(input.value);
          if (value === null) {
            show(q, false, "Type a number first (for example 0.25).");
            return;
          }
          var answer = Number(check.dataset.answer);
          var tol = Number(check.dataset.tolerance);
          var ok = Math.abs(value - answer) <= tol + 1e-12 * Math.max(1, Math.abs(answer));
          show(q, ok, ok ? check.dataset.feedback : "Your answer " + value + " is not it. Try again, or open the answer below.");
        };
        check.addEventListener("click", run);
        input.addEventListener("keydown", function (e) { if (e.key === "Enter") run(); });
      }
    });
  }

  function start() { document.querySelectorAll(".nnbook-quiz").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
