/* Tune a single neuron (chapter 2): sliders for three inputs, three weights and a bias,
   a choice of activation, and the weighted sum and output with the numbers filled in.
   One neuron is a line of arithmetic, so the page computes it; the start values and
   ranges come from nnbook.book.widgets.neuron_data. */
(function () {
  "use strict";
  var W = window.nnbookWidgets;
  var el = W.el, svg = W.svg, fmt = W.fmt;
  var SUB = ["\u2081", "\u2082", "\u2083", "\u2084", "\u2085", "\u2086", "\u2087", "\u2088", "\u2089"];
  var FUNCS = {
    step: { label: "step", sym: "step", f: function (z) { return z > 0 ? 1 : 0; } },
    sigmoid: { label: "sigmoid", sym: "\u03c3", f: function (z) { return 1 / (1 + Math.exp(-z)); } },
    relu: { label: "ReLU", sym: "relu", f: function (z) { return z > 0 ? z : 0; } }
  };
  var Z_MAX = 6;

  function decimals(step) {
    return Math.max(0, Math.min(3, Math.ceil(-Math.log10(step) - 1e-9)));
  }

  function slider(spec, label, id) {
    var d = decimals(spec.step);
    var value = el("span", { class: "nnbook-slider-value", "aria-hidden": "true", text: fmt(spec.value, d) });
    var input = el("input", {
      type: "range", id: id, min: spec.min, max: spec.max, step: spec.step, value: spec.value
    });
    var box = el("div", { class: "nnbook-slider" }, [
      el("div", { class: "nnbook-slider-head" }, [el("label", { for: id, text: label }), value]),
      input
    ]);
    return {
      box: box, input: input, digits: d,
      read: function () {
        var v = Number(input.value);
        value.textContent = fmt(v, d);
        input.setAttribute("aria-valuetext", fmt(v, d));
        return v;
      }
    };
  }

  function paren(s) { return s.charAt(0) === "\u2212" ? "(" + s + ")" : s; }

  function build(root, data) {
    var n = data.inputs.length;
    var xs = [], ws = [];
    var grid = el("div", { class: "nnbook-neuron-grid" });
    for (var i = 0; i < n; i++) {
      var sub = SUB[i] || String(i + 1);
      var name = data.names[i] ? " (" + data.names[i] + ")" : "";
      xs.push(slider(data.inputs[i], "input x" + sub + name, W.uid("x")));
      ws.push(slider(data.weights[i], "weight w" + sub, W.uid("w")));
      grid.appendChild(xs[i].box);
      grid.appendChild(ws[i].box);
    }
    var bias = slider(data.bias, "bias b", W.uid("b"));
    grid.appendChild(bias.box);

    var group = W.uid("act");
    var radios = {};
    var fieldset = el("fieldset", { class: "nnbook-neuron-act" }, [el("legend", { text: "Activation" })]);
    Object.keys(FUNCS).forEach(function (key) {
      var id = group + "-" + key;
      radios[key] = el("input", { type: "radio", name: group, id: id, value: key, checked: key === data.activation });
      fieldset.appendChild(el("span", { class: "nnbook-radio" }, [radios[key], el("label", { for: id, text: FUNCS[key].label })]));
    });

    var formula = el("p", { class: "nnbook-neuron-formula" });
    var output = el("output", {
      class: "nnbook-neuron-output", "aria-live": "polite",
      for: xs.concat(ws, [bias]).map(function (s) { return s.input.id; }).join(" ")
    });
    var plot = svg("svg", {
      class: "nnbook-neuron-plot", viewBox: "0 0 300 150", role: "img",
      "aria-label": "The activation function with the neuron's current weighted sum and output marked"
    });
    root.appendChild(grid);
    root.appendChild(fieldset);
    root.appendChild(el("div", { class: "nnbook-neuron-result" }, [
      el("div", { class: "nnbook-neuron-text" }, [formula, output]), plot
    ]));

    function current() {
      for (var k in radios) if (radios[k].checked) return k;
      return "sigmoid";
    }

    function update() {
      var z = 0, terms = [];
      for (var i = 0; i < n; i++) {
        var x = xs[i].read(), w = ws[i].read();
        z += w * x;
        terms.push(paren(fmt(w, ws[i].digits)) + "\u00d7" + paren(fmt(x, xs[i].digits)));
      }
      var b = bias.read();
      z += b;
      terms.push(paren(fmt(b, bias.digits)));
      var key = current(), f = FUNCS[key], y = f.f(z);
      formula.textContent = "z = " + terms.join(" + ") + " = " + fmt(z, 2);
      var yText = key === "step" ? String(y) : fmt(y, 3);
      output.textContent = "output y = " + f.sym + "(" + fmt(z, 2) + ") = " + yText;
      output.setAttribute("data-z", String(z));
      output.setAttribute("data-y", String(y));
      draw(key, z, y);
    }

    function draw(key, z, y) {
      var f = FUNCS[key].f, yMax = key === "relu" ? Z_MAX : 1;
      var L = 34, R = 290, T = 10, B = 122;
      var sx = function (v) { return L + (v + Z_MAX) / (2 * Z_MAX) * (R - L); };
      var sy = function (v) { return B - v / yMax * (B - T); };
      while (plot.firstChild) plot.removeChild(plot.firstChild);
      plot.appendChild(svg("line", { x1: L, y1: B, x2: R, y2: B, class: "nnbook-axis" }));
      plot.appendChild(svg("line", { x1: sx(0), y1: T, x2: sx(0), y2: B, class: "nnbook-axis nnbook-dashed" }));
      [0, yMax / 2, yMax].forEach(function (t) {
        plot.appendChild(svg("text", { x: L - 5, y: sy(t) + 4, class: "nnbook-tick", "text-anchor": "end", text: String(t) }));
      });
      [-Z_MAX, 0, Z_MAX].forEach(function (t) {
        plot.appendChild(svg("text", { x: sx(t), y: B + 14, class: "nnbook-tick", "text-anchor": "middle", text: fmt(t, 0) }));
      });
      plot.appendChild(svg("text", { x: R, y: B + 26, class: "nnbook-tick", "text-anchor": "end", text: "weighted sum z" }));
      var d;
      if (key === "step") {  /* the jump drawn without a vertical line, as in the figure */
        d = "M" + sx(-Z_MAX) + "," + sy(0) + " L" + sx(0) + "," + sy(0) +
          " M" + sx(0) + "," + sy(1) + " L" + sx(Z_MAX) + "," + sy(1);
      } else {
        var pts = [];
        for (var k = 0; k <= 240; k++) {
          var v = -Z_MAX + k / 240 * 2 * Z_MAX;
          pts.push(sx(v).toFixed(1) + "," + sy(f(v)).toFixed(1));
        }
        d = "M" + pts.join(" L");
      }
      plot.appendChild(svg("path", { d: d, class: "nnbook-curve" }));
      var zc = Math.max(-Z_MAX, Math.min(Z_MAX, z)), yc = Math.min(yMax, y);
      plot.appendChild(svg("circle", {
        cx: sx(zc), cy: sy(yc), r: 5.5,
        class: "nnbook-marker" + (zc !== z || yc !== y ? " is-off-scale" : "")
      }));
    }

    xs.concat(ws, [bias]).forEach(function (s) { s.input.addEventListener("input", update); });
    Object.keys(radios).forEach(function (k) { radios[k].addEventListener("change", update); });
    update();
  }

  W.register("neuron", build);
})();
