/* Shared support for the book's interactive figures (docs/_ext/nnbook_widgets.py adds
   this file, widgets.css and one widget-KIND.js to pages that use them).

   A chapter cell writes <div class="nnbook-widget" data-widget="KIND"
   data-fallback="FIGURE-ID"><script type="application/json">DATA</script></div>.
   widget-KIND.js calls nnbookWidgets.register(KIND, build); build(root, data) fills the
   div. The div then moves into the fallback figure, in place of its image: the figure
   keeps its number and caption, and without JavaScript the image is what readers see. */
(function () {
  "use strict";
  var serial = 0;
  var SVG_NS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function svg(tag, attrs, children) {
    var node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    });
  }

  function append(node, children) {
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
  }

  function uid(prefix) {
    serial += 1;
    return "nnbook-" + prefix + "-" + serial;
  }

  /* Numbers as a reader writes them: fixed decimals, a real minus sign, no "-0.00". */
  function fmt(v, digits) {
    var s = Number(v).toFixed(digits);
    if (Number(s) === 0) s = Number(0).toFixed(digits);
    return s.replace("-", "\u2212");
  }

  /* Matplotlib's viridis, sampled at 9 points, for activations. */
  var VIRIDIS = [
    [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
    [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]
  ];
  function ramp(stops, t) {
    t = Math.min(1, Math.max(0, isFinite(t) ? t : 0));
    var x = t * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
    var a = stops[i], b = stops[i + 1];
    return [0, 1, 2].map(function (k) { return Math.round(a[k] + f * (b[k] - a[k])); });
  }
  function viridis(t) { return ramp(VIRIDIS, t); }
  /* The book's diverging map for p(class 1): blue, white, orange (nnbook DIVERGING_CMAP). */
  function diverging(t) { return ramp([[140, 191, 220], [255, 255, 255], [236, 182, 140]], t); }
  function rgb(c) { return "rgb(" + c[0] + "," + c[1] + "," + c[2] + ")"; }
  /* Black or white text, whichever reads better on colour c (as nnbook.plotting does). */
  function textOn(c) {
    var lin = c.map(function (v) {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2] > 0.18 ? "#000" : "#fff";
  }

  /* Call fn whenever the reader switches between light and dark theme. */
  function onThemeChange(fn) {
    new MutationObserver(fn).observe(document.documentElement, {
      attributes: true, attributeFilter: ["data-theme"]
    });
  }

  function cssVar(node, name, fallback) {
    var v = getComputedStyle(node).getPropertyValue(name).trim();
    return v || fallback;
  }

  function place(root) {
    var id = root.getAttribute("data-fallback");
    var figure = id ? document.getElementById(id) : null;
    if (!figure) return;
    var cell = root.closest(".cell");
    var caption = figure.querySelector("figcaption");
    figure.insertBefore(root, caption);
    figure.classList.add("nnbook-widget-host");
    var rest = cell && cell.querySelector(".cell_output");
    if (cell && (!rest || !rest.textContent.trim()) && !cell.querySelector("figure, img")) {
      cell.classList.add("nnbook-widget-emptied");
    }
  }

  var builders = {};

  function start(kind) {
    document.querySelectorAll('.nnbook-widget[data-widget="' + kind + '"]').forEach(function (root) {
      if (root.classList.contains("is-ready")) return;
      var script = root.querySelector('script[type="application/json"]');
      var data;
      try {
        data = JSON.parse(script.textContent);
      } catch (err) {
        return; /* leave the fallback figure in place */
      }
      root.setAttribute("role", "group");
      root.setAttribute("aria-label", root.getAttribute("data-title") || "Interactive figure");
      builders[kind](root, data);
      place(root);
      root.classList.add("is-ready");
    });
  }

  window.nnbookWidgets = {
    register: function (kind, build) {
      builders[kind] = build;
      if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", function () { start(kind); });
      } else {
        start(kind);
      }
    },
    el: el, svg: svg, uid: uid, fmt: fmt, viridis: viridis, diverging: diverging, rgb: rgb,
    textOn: textOn, onThemeChange: onThemeChange, cssVar: cssVar
  };
})();
