/* Forward pass, layer by layer (chapter 4). The network is drawn like
   nnbook.plotting.draw_network: neurons in columns, connection colour = sign of the
   weight, width = its size. Step / Play reveal one layer at a time, each neuron lit by
   its activation. Every number was computed by nnbook.layers.mlp_trace at build time
   (nnbook.book.widgets.forward_pass_data); the page only shows them. */
(function () {
  "use strict";
  var W = window.nnbookWidgets;
  var el = W.el, svg = W.svg, fmt = W.fmt;
  var POSITIVE = "#0072B2", NEGATIVE = "#D55E00";
  var SYM = { relu: "relu", sigmoid: "\u03c3", softmax: "softmax", tanh: "tanh", identity: "" };
  var DX = 140, R = 23, FONT = 13;

  function vec(values, digits) {
    return "(" + values.map(function (v) { return fmt(v, digits); }).join(", ") + ")";
  }

  function textWidth(s) { return s ? s.length * FONT * 0.56 : 0; }

  function build(root, data) {
    var nets = data.networks;
    var state = { net: 0, ex: 0, step: 0, timer: null };

    var controls = el("div", { class: "nnbook-widget-controls" });
    var netSelect = null, exSelect;
    if (nets.length > 1) {
      var netId = W.uid("net");
      netSelect = el("select", { id: netId }, nets.map(function (n, i) {
        return el("option", { value: i, text: n.name });
      }));
      controls.appendChild(el("span", { class: "nnbook-field" }, [el("label", { for: netId, text: "Network" }), netSelect]));
    }
    var exId = W.uid("ex");
    exSelect = el("select", { id: exId });
    controls.appendChild(el("span", { class: "nnbook-field" }, [el("label", { for: exId, text: "Input" }), exSelect]));
    var buttons = el("span", { class: "nnbook-buttons", role: "group", "aria-label": "Forward pass" });
    var stepBtn = el("button", { type: "button", class: "nnbook-btn", text: "Step" });
    var playBtn = el("button", { type: "button", class: "nnbook-btn", text: "Play" });
    var resetBtn = el("button", { type: "button", class: "nnbook-btn", text: "Reset" });
    [stepBtn, playBtn, resetBtn].forEach(function (b) { buttons.appendChild(b); });
    controls.appendChild(buttons);

    var pic = svg("svg", { class: "nnbook-network", role: "img" });
    var legend = el("p", { class: "nnbook-legend" });
    var readout = el("p", { class: "nnbook-forward-readout", "aria-live": "polite" });
    /* On a phone the diagram keeps a legible size and scrolls sideways in its own box. */
    var box = el("div", { class: "nnbook-network-box" });
    box.appendChild(pic);
    root.appendChild(controls);
    root.appendChild(box);
    root.appendChild(legend);
    root.appendChild(readout);

    function fillExamples() {
      exSelect.innerHTML = "";
      nets[state.net].examples.forEach(function (e, i) {
        exSelect.appendChild(el("option", { value: i, text: e.name }));
      });
      exSelect.value = String(state.ex);
    }

    function layerName(net, i) {
      if (net.layer_labels) return net.layer_labels[i];
      var n = net.sizes.length;
      if (i === 0) return "input";
      if (i === n - 1) return "output";
      return n === 3 ? "hidden" : "hidden " + i;
    }

    function draw() {
      var net = nets[state.net], ex = net.examples[state.ex], sizes = net.sizes;
      var L = sizes.length - 1, names = net.node_labels || [];
      var maxN = Math.max.apply(null, sizes);
      /* room for the input names on the left, the output names on the right, and the
         layer names centred under the first and last columns */
      var left = Math.max.apply(null, [textWidth(layerName(net, 0)) / 2 - R]
        .concat((names[0] || []).map(textWidth))) + 10;
      var right = Math.max.apply(null, [textWidth(layerName(net, L)) / 2 - R]
        .concat((names[L] || []).map(textWidth))) + 10;
      var hiddenNames = names.slice(1, L).some(Boolean);  /* printed above their neurons */
      var SP = hiddenNames ? 2 * R + FONT + 16 : 58;
      var top = (hiddenNames ? FONT + 8 : 4) + R;
      var x0 = left + R, width = x0 + L * DX + R + right;
      var height = top + (maxN - 1) * SP + R + 2.4 * FONT;
      pic.setAttribute("viewBox", "0 0 " + width.toFixed(0) + " " + height.toFixed(0));
      pic.style.maxWidth = Math.round(width * 1.15) + "px";
      pic.style.minWidth = Math.round(width * 0.75) + "px";  /* labels at least 10 px */
      var cx = function (i) { return x0 + i * DX; };
      var cy = function (i, j) { return top + ((maxN - 1) / 2 + j - (sizes[i] - 1) / 2) * SP; };
      while (pic.firstChild) pic.removeChild(pic.firstChild);

      var wMax = 0;
      net.weights.forEach(function (Wm) { Wm.forEach(function (row) { row.forEach(function (w) { wMax = Math.max(wMax, Math.abs(w)); }); }); });
      /* one colour scale for every example of a network, so examples compare */
      var acts = ex.a.slice(0, state.step), lo = 0, hi = 0;
      net.examples.forEach(function (e) {
        e.a.forEach(function (a) { a.forEach(function (v) { lo = Math.min(lo, v); hi = Math.max(hi, v); }); });
      });
      if (hi <= lo) hi = lo + 1;

      for (var l = 0; l < L; l++) {  /* connections, strongest on top */
        var edges = [];
        net.weights[l].forEach(function (row, i) { row.forEach(function (w, j) { edges.push([Math.abs(w), w, i, j]); }); });
        edges.sort(function (a, b) { return a[0] - b[0]; });
        var cls = l + 1 < state.step ? "is-past" : l + 1 === state.step ? "is-current" : "is-future";
        var g = svg("g", { class: "nnbook-edges " + cls });
        edges.forEach(function (e) {
          g.appendChild(svg("line", {
            x1: cx(l), y1: cy(l, e[2]), x2: cx(l + 1), y2: cy(l + 1, e[3]),
            stroke: e[1] >= 0 ? POSITIVE : NEGATIVE,
            "stroke-width": (0.8 + 4.5 * (wMax > 0 ? e[0] / wMax : 0)).toFixed(2)
          }));
        });
        pic.appendChild(g);
      }

      for (var i = 0; i <= L; i++) {
        for (var j = 0; j < sizes[i]; j++) {
          var known = i === 0 || i <= state.step;
          var value = i === 0 ? ex.input[j] : known ? acts[i - 1][j] : null;
          var g2 = svg("g", { class: "nnbook-node" + (known ? " is-known" : "") + (i === state.step && i > 0 ? " is-current" : ""), "data-layer": i, "data-index": j });
          var fill = null, label = "";
          if (i === 0 && known) {
            fill = [255, 255, 255];
            label = value === Math.round(value) ? fmt(value, 0) : fmt(value, 2);
          } else if (known) {
            fill = W.viridis((value - lo) / (hi - lo));
            label = fmt(value, 2);
          }
          var circle = svg("circle", { cx: cx(i), cy: cy(i, j), r: R });
          if (fill) circle.style.fill = W.rgb(fill);
          g2.appendChild(circle);
          if (known) {
            g2.appendChild(svg("text", {
              x: cx(i), y: cy(i, j) + FONT * 0.36, "text-anchor": "middle", class: "nnbook-node-value",
              style: "fill:" + W.textOn(fill), text: label
            }));
          }
          var nm = names[i] && names[i][j];
          if (nm) {
            var at = i === 0 ? { x: cx(i) - R - 6, y: cy(i, j) + FONT * 0.36, "text-anchor": "end" }
              : i === L ? { x: cx(i) + R + 6, y: cy(i, j) + FONT * 0.36, "text-anchor": "start" }
                : { x: cx(i), y: cy(i, j) - R - 5, "text-anchor": "middle" };
            at.class = "nnbook-node-name";
            at.text = nm;
            g2.appendChild(svg("text", at));
          }
          pic.appendChild(g2);
        }
        pic.appendChild(svg("text", {
          x: cx(i), y: height - 6, "text-anchor": "middle", class: "nnbook-layer-name", text: layerName(net, i)
        }));
      }
      pic.setAttribute("aria-label", "Diagram of the " + net.name + " (layer sizes " + sizes.join("-") +
        ") for " + ex.name + ", computed up to " + (state.step === 0 ? "the input" : layerName(net, state.step)));

      legend.innerHTML = "";
      legend.appendChild(el("span", { class: "nnbook-swatch", style: "background:" + POSITIVE }));
      legend.appendChild(document.createTextNode(" positive weight "));
      legend.appendChild(el("span", { class: "nnbook-swatch", style: "background:" + NEGATIVE }));
      legend.appendChild(document.createTextNode(" negative weight; neurons filled by activation from "));
      legend.appendChild(el("span", { class: "nnbook-ramp", "aria-hidden": "true" }));
      legend.appendChild(document.createTextNode(" " + fmt(lo, 2) + " to " + fmt(hi, 2) + "."));

      if (state.step === 0) {
        readout.textContent = ex.name + ": input x = " + vec(ex.input, 2) + ". Press Step to compute " + layerName(net, 1) + ".";
      } else {
        var k = state.step - 1, f = net.activations[k], sym = SYM[f] !== undefined ? SYM[f] : f;
        var prev = k === 0 ? "x" : "a" + k;
        readout.textContent = "Step " + state.step + " of " + L + ", " + layerName(net, state.step) + ": z = " + prev +
          "\u00b7W" + (k + 1) + " + b" + (k + 1) + " = " + vec(ex.z[k], 3) + "; a = " +
          (sym ? sym + "(z)" : "z") + " = " + vec(ex.a[k], 3) + (state.step === L ? ". Output reached." : ".");
      }
      stepBtn.disabled = state.step >= L;
      resetBtn.disabled = state.step === 0;
      /* a box that scrolls must be reachable by keyboard; one that does not, need not be */
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", "Network diagram, scrolls sideways");
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }

    function stop() {
      if (state.timer) clearInterval(state.timer);
      state.timer = null;
      playBtn.textContent = "Play";
    }

    function advance() {
      var L = nets[state.net].sizes.length - 1;
      if (state.step < L) state.step += 1;
      if (state.step >= L) stop();
      draw();
    }

    stepBtn.addEventListener("click", function () { stop(); advance(); });
    resetBtn.addEventListener("click", function () { stop(); state.step = 0; draw(); });
    playBtn.addEventListener("click", function () {
      if (state.timer) { stop(); return; }
      if (state.step >= nets[state.net].sizes.length - 1) state.step = 0;
      playBtn.textContent = "Pause";
      draw();
      state.timer = setInterval(advance, 900);
    });
    exSelect.addEventListener("change", function () { state.ex = Number(exSelect.value); draw(); });
    if (netSelect) {
      netSelect.addEventListener("change", function () {
        stop();
        state.net = Number(netSelect.value);
        state.ex = 0;
        state.step = 0;
        fillExamples();
        draw();
      });
    }
    fillExamples();
    draw();
  }

  W.register("forward-pass", build);
})();
