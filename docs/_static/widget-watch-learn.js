/* Watch it learn (chapter 7): scrub through a training run. At build time
   nnbook.book.widgets.record_learning trained a small MLP in one lax.scan and kept, every
   few steps, the predicted probability on a grid (bytes, base64) and the loss; the
   page only draws them: the boundary on a canvas with the data points, and the loss
   curve with a marker at the current step. */
(function () {
  "use strict";
  var W = window.nnbookWidgets;
  var el = W.el, svg = W.svg, fmt = W.fmt;
  var CLASS_COLORS = ["#0072B2", "#D55E00"];
  var SIZE = 400, FRAME_MS = 150;

  function decode(text) {
    var raw = atob(text), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  /* Segments where p crosses 0.5, by marching squares on the grid (cell corners). */
  function contour(p, n, off) {
    var segs = [], level = 127.5;
    function at(i, j) { return p[off + i * n + j]; }
    function cross(i0, j0, i1, j1) {
      var a = at(i0, j0), b = at(i1, j1), t = (level - a) / (b - a);
      return [j0 + t * (j1 - j0), i0 + t * (i1 - i0)];
    }
    for (var i = 0; i < n - 1; i++) {
      for (var j = 0; j < n - 1; j++) {
        var pts = [];
        var c = [[i, j], [i, j + 1], [i + 1, j + 1], [i + 1, j]];
        for (var k = 0; k < 4; k++) {
          var u = c[k], v = c[(k + 1) % 4];
          if ((at(u[0], u[1]) > level) !== (at(v[0], v[1]) > level)) pts.push(cross(u[0], u[1], v[0], v[1]));
        }
        if (pts.length === 2) segs.push(pts);
        else if (pts.length === 4) segs.push([pts[0], pts[1]], [pts[2], pts[3]]);
      }
    }
    return segs;
  }

  function build(root, data) {
    var n = data.resolution, frames = data.steps.length, probs = decode(data.probs);
    var nSteps = data.steps[frames - 1], loss = data.loss;
    var lossMax = Math.max.apply(null, loss);
    var state = { frame: frames - 1, timer: null };

    var sliderId = W.uid("step");
    var play = el("button", { type: "button", class: "nnbook-btn", text: "Play" });
    var slider = el("input", { type: "range", id: sliderId, min: 0, max: frames - 1, step: 1, value: state.frame });
    var readout = el("output", { class: "nnbook-learn-readout", for: sliderId, "aria-live": "polite" });
    var controls = el("div", { class: "nnbook-widget-controls" }, [
      play,
      el("span", { class: "nnbook-field nnbook-field-wide" }, [el("label", { for: sliderId, text: "Training step" }), slider]),
      readout
    ]);
    var canvas = el("canvas", { width: SIZE, height: SIZE, class: "nnbook-learn-canvas", role: "img" });
    var curve = svg("svg", {
      class: "nnbook-learn-loss", viewBox: "0 0 300 200", role: "img",
      "aria-label": "Training loss against step, falling from " + fmt(loss[0], 2) + " to " + fmt(loss[loss.length - 1], 3) + ", with a marker at the current step"
    });
    var names = data.class_names;
    var legend = el("p", { class: "nnbook-legend" }, [
      el("span", { class: "nnbook-swatch is-round", style: "background:" + CLASS_COLORS[0] }), " " + names[0] + " ",
      el("span", { class: "nnbook-swatch", style: "background:" + CLASS_COLORS[1] }), " " + names[1] +
      "; shading: the network's probability of " + names[1] + " (blue near 0, white 0.5, orange near 1); black line: p = 0.5."
    ]);
    root.appendChild(controls);
    root.appendChild(el("div", { class: "nnbook-learn-plots" }, [canvas, curve]));
    root.appendChild(legend);

    var image = document.createElement("canvas");
    image.width = n;
    image.height = n;
    var ictx = image.getContext("2d"), pixels = ictx.createImageData(n, n);
    var ctx = canvas.getContext("2d");
    var x0 = data.x_range[0], x1 = data.x_range[1], y0 = data.y_range[0], y1 = data.y_range[1];
    var px = function (x) { return (x - x0) / (x1 - x0) * SIZE; };
    var py = function (y) { return SIZE - (y - y0) / (y1 - y0) * SIZE; };

    function drawBoundary(f) {
      var off = f * n * n;
      for (var i = 0; i < n; i++) {  /* grid row i is y_range[0] + i h: the bottom row first */
        for (var j = 0; j < n; j++) {
          var c = W.diverging(probs[off + i * n + j] / 255), q = ((n - 1 - i) * n + j) * 4;
          pixels.data[q] = c[0]; pixels.data[q + 1] = c[1]; pixels.data[q + 2] = c[2]; pixels.data[q + 3] = 255;
        }
      }
      ictx.putImageData(pixels, 0, 0);
      ctx.imageSmoothingEnabled = true;
      /* grid values sit at cell centres: stretch so the first and last land on the edges */
      var cell = SIZE / (n - 1);
      ctx.drawImage(image, -cell / 2, -cell / 2, SIZE + cell, SIZE + cell);
      ctx.strokeStyle = "#222";
      ctx.lineWidth = 3;
      ctx.beginPath();
      contour(probs, n, off).forEach(function (s) {
        ctx.moveTo(s[0][0] * cell, SIZE - s[0][1] * cell);
        ctx.lineTo(s[1][0] * cell, SIZE - s[1][1] * cell);
      });
      ctx.stroke();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#fff";
      data.points.forEach(function (p) {
        ctx.fillStyle = CLASS_COLORS[p[2] % 2];
        ctx.beginPath();
        if (p[2] % 2) ctx.rect(px(p[0]) - 5, py(p[1]) - 5, 10, 10);
        else ctx.arc(px(p[0]), py(p[1]), 5.5, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      });
    }

    var L = 44, R = 290, T = 12, B = 160;
    var sx = function (s) { return L + s / nSteps * (R - L); };
    var sy = function (v) { return B - v / lossMax * (B - T); };
    var marker = svg("circle", { r: 5, class: "nnbook-marker" });
    var guide = svg("line", { y1: T, y2: B, class: "nnbook-axis nnbook-dashed" });
    (function drawCurve() {
      var pts = loss.map(function (v, s) { return sx(s).toFixed(1) + "," + sy(v).toFixed(1); });
      [svg("line", { x1: L, y1: B, x2: R, y2: B, class: "nnbook-axis" }),
        svg("line", { x1: L, y1: T, x2: L, y2: B, class: "nnbook-axis" }),
        svg("text", { x: L - 5, y: B + 4, "text-anchor": "end", class: "nnbook-tick", text: "0" }),
        svg("text", { x: L - 5, y: T + 4, "text-anchor": "end", class: "nnbook-tick", text: fmt(lossMax, 2) }),
        svg("text", { x: L, y: B + 16, "text-anchor": "middle", class: "nnbook-tick", text: "0" }),
        svg("text", { x: R, y: B + 16, "text-anchor": "end", class: "nnbook-tick", text: String(nSteps) }),
        svg("text", { x: (L + R) / 2, y: B + 32, "text-anchor": "middle", class: "nnbook-tick", text: "step" }),
        svg("text", { x: 12, y: (T + B) / 2, "text-anchor": "middle", class: "nnbook-tick",
          transform: "rotate(-90 12 " + (T + B) / 2 + ")", text: "loss" }),
        svg("path", { d: "M" + pts.join(" L"), class: "nnbook-curve" }),
        guide, marker
      ].forEach(function (node) { curve.appendChild(node); });
    })();

    function show(f) {
      state.frame = f;
      var step = data.steps[f], l = loss[step];
      drawBoundary(f);
      marker.setAttribute("cx", sx(step));
      marker.setAttribute("cy", sy(l));
      guide.setAttribute("x1", sx(step));
      guide.setAttribute("x2", sx(step));
      slider.value = String(f);
      slider.setAttribute("aria-valuetext", "step " + step + " of " + nSteps);
      readout.textContent = "step " + step + ", loss " + fmt(l, 3);
      canvas.setAttribute("aria-label", "Decision boundary of the network after " + step +
        " training steps, over the two classes of training points; loss " + fmt(l, 3));
    }

    function stop() {
      if (state.timer) clearInterval(state.timer);
      state.timer = null;
      play.textContent = "Play";
      readout.setAttribute("aria-live", "polite");
    }

    play.addEventListener("click", function () {
      if (state.timer) { stop(); return; }
      if (state.frame >= frames - 1) show(0);
      play.textContent = "Pause";
      readout.setAttribute("aria-live", "off");  /* no announcement per frame while playing */
      state.timer = setInterval(function () {
        if (state.frame >= frames - 1) { stop(); return; }
        show(state.frame + 1);
      }, FRAME_MS);
    });
    slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
    show(state.frame);
  }

  W.register("watch-learn", build);
})();
