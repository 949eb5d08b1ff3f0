"""The interactive figures of chapters 2, 4 and 7 in a real headless Chromium: they
show what nnbook computes, answer the keyboard and the mouse, fit a phone, work in dark
mode, and leave the static figure in place when JavaScript is off."""

from __future__ import annotations

import json
import re

import jax.numpy as jnp
import numpy as np
import pytest

from nnbook.activations import ACTIVATIONS, softmax
from nnbook.layers import Dense, mlp_trace
from nnbook.neuron import Neuron, neuron

from .conftest import open_page

pytestmark = pytest.mark.browser

PAGES = {
    "neuron": ("02-single-neuron", "fig-single-neuron-playground"),
    "forward-pass": ("04-layers-forward-pass", "fig-layers-forward-pass"),
    "watch-learn": ("07-gradient-descent", "fig-gradient-descent-watch"),
}


def number(text: str) -> float:
    """The last number in a readout, with the typographic minus sign read as '-'."""
    found = re.findall(r"-?\d+(?:\.\d+)?", text.replace("\u2212", "-"))
    assert found, f"no number in {text!r}"
    return float(found[-1])


def fmt(v: float, digits: int) -> str:
    s = f"{v:.{digits}f}"
    return (f"{0:.{digits}f}" if float(s) == 0 else s).replace("-", "\u2212")


def open_widget(browser, site_url, kind, **kwargs):
    name, figure = PAGES[kind]
    page, problems, _ = open_page(browser, f"{site_url}/chapters/{name}.html", **kwargs)
    root = page.locator(f'.nnbook-widget[data-widget="{kind}"]')
    assert root.count() == 1, f"{name}: expected one {kind} widget"
    root.wait_for(state="visible")
    assert "is-ready" in root.get_attribute("class")
    # it took the place of the fallback figure's image, under the figure's caption
    assert page.locator(f"figure#{figure} .nnbook-widget").count() == 1
    assert not page.locator(f"figure#{figure} img").is_visible()
    assert page.locator(f"figure#{figure} figcaption").is_visible()
    data = json.loads(root.locator('script[type="application/json"]').text_content())
    return page, problems, root, data


def set_range(locator, value) -> None:
    locator.evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
        str(value),
    )


# -- chapter 2: tune a single neuron -------------------------------------------------------


def test_neuron_widget_output_is_nnbook_neuron(browser, site_url):
    page, problems, root, data = open_widget(browser, site_url, "neuron")
    sliders = root.locator('input[type="range"]')
    assert sliders.count() == 7  # three inputs, three weights, the bias
    for i in range(7):  # every control has a visible label
        slider_id = sliders.nth(i).get_attribute("id")
        assert root.locator(f'label[for="{slider_id}"]').is_visible()
    output = root.locator("output")
    assert output.get_attribute("aria-live") == "polite"
    # the start: nnbook's own numbers for the concert neuron
    assert number(output.inner_text()) == pytest.approx(data["outputs"]["sigmoid"], abs=5e-4)

    settings = [  # in page order: x1, w1, x2, w2, x3, w3, b
        [0.35, -1.4, 1, 2.3, 7, 0.2, -0.6],
        [1.0, 2.9, 0, -3.0, 22, -0.1, 1.7],
        [0.05, 0.3, 1, 0.4, 0, 2.5, -4.2],
    ]
    for values in settings:
        for i, v in enumerate(values):
            set_range(sliders.nth(i), v)
        shown = [float(sliders.nth(i).input_value()) for i in range(7)]
        assert shown == pytest.approx(values)
        x = jnp.array(shown[0:6:2])
        params = Neuron(w=jnp.array(shown[1:6:2]), b=jnp.array(shown[6]))
        for f in ("step", "sigmoid", "relu"):
            root.locator(f'input[type="radio"][value="{f}"]').check()
            expected = float(neuron(params, x, activation=f))
            text = output.inner_text()
            assert number(text) == pytest.approx(expected, abs=6e-4), (f, shown, text)
            z = float(np.dot(shown[1:6:2], shown[0:6:2]) + shown[6])
            assert fmt(z, 2) in root.locator(".nnbook-neuron-formula").inner_text()

    # the keyboard moves a slider by one step and the output follows
    bias = sliders.nth(6)
    before = float(bias.input_value())
    bias.focus()
    page.keyboard.press("ArrowRight")
    assert float(bias.input_value()) == pytest.approx(before + 0.1)
    assert fmt(before + 0.1, 1) in root.locator(".nnbook-neuron-formula").inner_text()
    assert not problems, problems
    page.context.close()


# -- chapter 4: forward pass, layer by layer -----------------------------------------------


def node_values(root, layer: int) -> list[str]:
    """The values printed in one layer's neurons (none before the layer is computed)."""
    return root.locator(
        f'g.nnbook-node[data-layer="{layer}"] .nnbook-node-value'
    ).all_text_contents()


def trace_of(net: dict, example: int):
    """mlp_trace recomputed here from the network the page carries (weights to 5 decimals)."""
    params = tuple(
        Dense(jnp.array(w), jnp.array(b))
        for w, b in zip(net["weights"], net["biases"], strict=True)
    )
    hidden, out = net["activations"][0], net["activations"][-1]
    x = jnp.array(net["examples"][example]["input"])
    return mlp_trace(params, x, hidden, softmax if out == "softmax" else ACTIVATIONS[out])


def test_forward_pass_steps_show_mlp_trace(browser, site_url):
    page, problems, root, data = open_widget(browser, site_url, "forward-pass")
    spam = data["networks"][0]
    assert spam["sizes"] == [2, 2, 1]
    # the chapter's spam filter, typed in here independently of the page
    spam_net = (
        Dense(jnp.array([[0.5, 0.1], [0.1, 0.8]]), jnp.array([-2.0, -2.0])),
        Dense(jnp.array([[1.2], [1.0]]), jnp.array([-2.0])),
    )
    expected = mlp_trace(spam_net, jnp.array([[7.0, 3.0], [2.0, 3.0]]), "relu", "sigmoid")
    step, reset = root.get_by_role("button", name="Step"), root.get_by_role("button", name="Reset")
    readout = root.locator(".nnbook-forward-readout")
    assert readout.get_attribute("aria-live") == "polite"
    for k, email in enumerate(["email A", "email B"]):
        root.get_by_label("Input", exact=True).select_option(index=k)
        if k:  # back to the input (at the start Reset has nothing to undo)
            reset.click()
        assert reset.is_disabled()
        assert node_values(root, 0) == ["7" if k == 0 else "2", "3"]
        assert node_values(root, 1) == []  # nothing computed yet
        step.click()
        assert node_values(root, 1) == [fmt(v, 2) for v in expected.activations[0][k]]
        assert node_values(root, 2) == []
        assert "Step 1 of 2" in readout.inner_text()
        step.click()
        assert node_values(root, 2) == [fmt(float(expected.activations[1][k, 0]), 2)]
        assert fmt(float(expected.activations[1][k, 0]), 3) in readout.inner_text()
        assert step.is_disabled(), f"{email}: Step stays enabled after the output"

    # the deeper network, played to the end
    root.get_by_label("Network", exact=True).select_option(index=1)
    wide = data["networks"][1]
    assert wide["sizes"] == [4, 6, 6, 3] and len(wide["examples"]) == 5
    root.get_by_label("Input", exact=True).select_option(index=2)
    root.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "el => el.querySelector('button[disabled]') && el.textContent.includes('Output reached')",
        arg=root.element_handle(),
        timeout=10000,
    )
    trace = trace_of(wide, 2)
    for layer in (1, 2, 3):
        assert node_values(root, layer) == [fmt(v, 2) for v in trace.activations[layer - 1]]
        np.testing.assert_allclose(
            wide["examples"][2]["a"][layer - 1], trace.activations[layer - 1], atol=1e-4
        )
    assert not problems, problems
    page.context.close()


# -- chapter 7: watch it learn ---------------------------------------------------------------


def readout_step_loss(root) -> tuple[int, float]:
    text = root.locator(".nnbook-learn-readout").inner_text()
    m = re.fullmatch(r"step (\d+), loss (\d+\.\d+)", text.strip())
    assert m, text
    return int(m.group(1)), float(m.group(2))


def test_watch_learn_scrubs_through_recorded_training(browser, site_url):
    page, problems, root, data = open_widget(browser, site_url, "watch-learn")
    steps, loss = data["steps"], data["loss"]
    assert len(steps) >= 20 and data["resolution"] == 48
    step, value = readout_step_loss(root)  # starts at the end, like the static figure
    assert step == steps[-1] and value == pytest.approx(loss[step], abs=6e-4)
    slider = root.get_by_label("Training step", exact=True)
    slider.focus()
    page.keyboard.press("Home")
    assert readout_step_loss(root) == (0, pytest.approx(loss[0], abs=6e-4))
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    step, value = readout_step_loss(root)
    assert step == steps[3] and value == pytest.approx(loss[step], abs=6e-4)
    set_range(slider, 10)
    assert readout_step_loss(root)[0] == steps[10]
    # Play moves forward through the frames, Pause stops
    root.get_by_role("button", name="Play").click()
    page.wait_for_timeout(600)
    root.get_by_role("button", name="Pause").click()
    step, value = readout_step_loss(root)
    assert step > steps[10] and step in steps and value == pytest.approx(loss[step], abs=6e-4)
    page.wait_for_timeout(300)
    assert readout_step_loss(root)[0] == step, "still moving after Pause"
    # the picture changes with the step: compare two frames' pixels
    canvas = root.locator("canvas")
    set_range(slider, 0)
    first = canvas.evaluate("c => c.toDataURL()")
    set_range(slider, len(steps) - 1)
    assert canvas.evaluate("c => c.toDataURL()") != first
    assert str(steps[-1]) in canvas.get_attribute("aria-label")
    assert not problems, problems
    page.context.close()


# -- every widget: no JavaScript, phone width, dark mode ------------------------------------


@pytest.mark.parametrize("kind", PAGES)
def test_static_figure_stands_in_without_javascript(browser, site_url, kind):
    name, figure = PAGES[kind]
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto(f"{site_url}/chapters/{name}.html")
    img = page.locator(f"figure#{figure} img")
    img.scroll_into_view_if_needed()
    assert img.is_visible() and len(img.get_attribute("alt")) > 40
    assert page.locator(f"figure#{figure} figcaption").is_visible()
    assert page.locator(".nnbook-widget.is-ready").count() == 0
    assert page.locator(f'.nnbook-widget[data-widget="{kind}"]').bounding_box()["height"] < 2
    context.close()


@pytest.mark.parametrize("kind", PAGES)
def test_widget_fits_a_phone_in_dark_mode(browser, site_url, kind):
    page, problems, root, _ = open_widget(browser, site_url, kind, width=390, color_scheme="dark")
    page.evaluate("() => document.documentElement.setAttribute('data-theme', 'dark')")
    root.scroll_into_view_if_needed()
    box = root.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    overflow = root.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 1, f"{kind}: the widget scrolls sideways by {overflow}px"
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    page_overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert page_overflow <= 2, f"{kind}: the page is {page_overflow}px wider than a phone"
    text_color = root.evaluate("el => getComputedStyle(el).color")
    assert text_color != "rgb(0, 0, 0)", "dark mode: the widget's text stayed black"
    for control in root.locator("input, select, button").all():
        assert control.is_visible()
    assert not problems, problems
    page.context.close()
