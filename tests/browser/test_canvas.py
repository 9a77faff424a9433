"""The designer in real Chromium: build, wire, break, fix, undo, save, reopen and profile a design."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def refitted(page: Any, action: Any) -> None:
    """Run `action` (which opens a design) and wait until the canvas has fitted the new design."""
    before = page.evaluate("document.body.dataset.fitted")
    action()
    page.wait_for_function("b => document.body.dataset.fitted !== b", arg=before)


def open_template(page: Any, name: str) -> None:
    page.get_by_test_id("templates").click()
    refitted(page, lambda: page.get_by_test_id(f"template-{name}").click())


def new_design(page: Any) -> None:
    refitted(page, lambda: page.get_by_role("button", name="New").click())


def handle(page: Any, node: str, handle_id: str) -> Any:
    return page.locator(f'.react-flow__handle[data-nodeid="{node}"][data-handleid="{handle_id}"]')


def connect(page: Any, source: str, target: str, source_port: int = 0, target_port: int = 0) -> None:
    """Drag from an output handle to an input handle, as a person does."""
    a = handle(page, source, f"out{source_port}").bounding_box()
    b = handle(page, target, f"in{target_port}").bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=12)
    page.mouse.up()


def edge_label(page: Any, target: str, port: int = 0) -> Any:
    return page.locator(f'.react-flow__edge[data-id="{target}:{port}"] .react-flow__edge-text')


def test_drag_a_linear_from_the_palette_and_connect_it(page: Any) -> None:
    new_design(page)
    pane = page.locator(".react-flow__pane")
    page.get_by_test_id("palette-Linear").drag_to(pane, target_position={"x": 300, "y": 420})
    expect(page.get_by_test_id("node-linear1")).to_be_visible()
    connect(page, "x", "linear1")
    expect(edge_label(page, "linear1")).to_have_text("[8, 64]")
    expect(page.get_by_test_id("shape-linear1")).to_have_text("[8, 64]")
    expect(page.get_by_test_id("total-params")).to_have_text("4,160")  # 64 * 64 + 64, in_features inferred


def test_image_classifier_shows_its_parameter_count(page: Any) -> None:
    open_template(page, "image_classifier")
    expect(page.get_by_test_id("total-params")).to_have_text("129,290")
    expect(page.get_by_test_id("shape-fc2")).to_have_text("[32, 10]")
    expect(page.get_by_test_id("status-ok")).to_be_visible()


def test_a_broken_connection_turns_red_and_the_fix_applies_and_undoes(page: Any) -> None:
    open_template(page, "sequential_mlp")
    expect(page.get_by_test_id("total-params")).to_have_text("109,386")
    connect(page, "x", "fc2")  # replaces relu1 -> fc2: fc2 now gets 784 features, not 128
    node = page.get_by_test_id("node-fc2")
    expect(node).to_have_attribute("data-status", "error")
    expect(page.get_by_test_id("error-fc2")).to_contain_text("Linear expects 128 input features but gets [64, 784]")
    expect(page.get_by_test_id("node-fc3")).to_have_attribute("data-status", "blocked")
    page.get_by_test_id("fix-fc2").click()
    expect(node).to_have_attribute("data-status", "ok")
    expect(page.get_by_test_id("total-params")).to_have_text(f"{784 * 64 + 64 + 64 * 10 + 10 + 784 * 128 + 128:,}")
    page.keyboard.press("Control+z")
    expect(node).to_have_attribute("data-status", "error")
    page.get_by_test_id("redo").click()
    expect(node).to_have_attribute("data-status", "ok")


def test_a_cycle_is_refused_with_a_reason(page: Any) -> None:
    open_template(page, "sequential_mlp")
    expect(page.get_by_test_id("total-params")).to_have_text("109,386")
    connect(page, "fc3", "fc1")
    expect(page.get_by_test_id("notice")).to_contain_text("would make a cycle")
    expect(page.get_by_test_id("status-ok")).to_be_visible()


def test_inspector_edits_an_argument_and_the_canvas_follows(page: Any) -> None:
    open_template(page, "sequential_mlp")
    page.get_by_test_id("node-fc3").click()
    field = page.get_by_test_id("arg-out_features")
    field.fill("20")
    field.press("Enter")
    expect(page.get_by_test_id("shape-fc3")).to_have_text("[64, 20]")
    expect(page.get_by_test_id("arg-in_features")).to_have_attribute("placeholder", "inferred: 64")


def test_save_and_reopen_a_design(page: Any, browser: Any, server_url: str) -> None:
    open_template(page, "residual_block")
    page.get_by_test_id("design-name").fill("my_block")
    expect(page.get_by_test_id("total-params")).to_have_text(f"{64 * 128 * 9 + 128 * 128 * 9 + 64 * 128 + 6 * 128:,}")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("saved-as")).to_contain_text("v1")
    expect(page).to_have_url(re.compile(r"/d/[^/]+$"))
    saved_url = page.url
    # A second browser with empty storage opens the saved design from the server.
    other = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        p2 = other.new_page()
        p2.goto(saved_url)
        expect(p2.get_by_test_id("design-name")).to_have_value("my_block")
        expect(p2.get_by_test_id("node-residual")).to_be_visible()
        expect(p2.get_by_test_id("total-params")).to_have_text(page.get_by_test_id("total-params").inner_text())
    finally:
        other.close()
    # A reload of the same page loses nothing.
    page.reload()
    expect(page.get_by_test_id("design-name")).to_have_value("my_block")


def test_export_then_open_the_file(page: Any, tmp_path: Any) -> None:
    open_template(page, "seq2seq")
    expect(page.get_by_test_id("node-decoder")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    path = tmp_path / "design.json"
    download.value.save_as(path)
    new_design(page)
    expect(page.get_by_test_id("node-decoder")).to_have_count(0)
    refitted(page, lambda: page.get_by_test_id("open-file").set_input_files(str(path)))
    expect(page.get_by_test_id("node-decoder")).to_be_visible()
    expect(edge_label(page, "decoder", 1)).to_have_text("[2, 8, 64]")


def test_keyboard_quick_add_delete_and_duplicate(page: Any) -> None:
    new_design(page)
    page.get_by_test_id("node-x").click()
    page.keyboard.press("/")
    page.keyboard.type("relu")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("node-relu1")).to_be_visible()
    expect(edge_label(page, "relu1")).to_have_text("[8, 64]")
    page.keyboard.press("Control+d")
    expect(page.get_by_test_id("node-relu2")).to_be_visible()
    page.keyboard.press("Delete")
    expect(page.get_by_test_id("node-relu2")).to_have_count(0)


def test_profile_shows_time_per_layer(page: Any) -> None:
    open_template(page, "image_classifier")
    expect(page.get_by_test_id("total-params")).to_have_text("129,290")
    page.get_by_test_id("tab-profile").click()
    page.get_by_test_id("profile-batches").fill("1, 4")
    page.get_by_test_id("profile-run").click()
    expect(page.get_by_test_id("profile-bars")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("profile-sweep")).to_be_visible()
    assert page.get_by_test_id("profile-bars").locator("canvas").bounding_box()["height"] > 100


def test_weights_panel_shows_filters_stats_gradients_and_activations(page: Any) -> None:
    open_template(page, "image_classifier")
    expect(page.get_by_test_id("total-params")).to_have_text("129,290")
    page.get_by_test_id("node-conv1").click()
    page.get_by_test_id("tab-weights").click()
    page.get_by_role("button", name="filters").click()
    image = page.get_by_test_id("weight-image")
    expect(image).to_be_visible(timeout=30_000)
    page.wait_for_function("() => document.querySelector('[data-testid=weight-image]').naturalWidth > 0")
    page.get_by_test_id("measure-run").click()
    stats = page.get_by_test_id("weights-stats")
    expect(stats).to_contain_text("[32, 3, 3, 3]", timeout=30_000)
    expect(page.get_by_test_id("weights-gradients")).to_contain_text("weight")
    expect(page.get_by_test_id("weights-activations")).to_contain_text("conv1")
    expect(page.get_by_test_id("activation-depth")).to_be_visible()
    page.get_by_role("button", name="feature maps").click()
    expect(image).to_have_attribute("alt", "first feature maps of conv1", timeout=30_000)
    page.wait_for_function("() => document.querySelector('[data-testid=weight-image]').naturalWidth > 0")


def test_multi_select_copy_paste_and_input_shape(page: Any) -> None:
    open_template(page, "sequential_mlp")
    expect(page.get_by_test_id("total-params")).to_have_text("109,386")
    page.get_by_test_id("node-fc1").click()
    page.get_by_test_id("node-relu1").click(modifiers=["Shift"])
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    expect(page.get_by_test_id("node-linear1")).to_be_visible()
    expect(page.locator('.react-flow__edge[data-id="relu3:0"]')).to_have_count(1)  # the copy keeps its inner edge
    page.get_by_test_id("node-x").click()
    page.get_by_test_id("input-shape").fill("32, 784")
    page.get_by_test_id("input-shape").press("Enter")
    expect(page.get_by_test_id("shape-fc3")).to_have_text("[32, 10]")


def test_a_shared_server_asks_for_its_token_to_save(browser: Any, serve_with: Any, tmp_path: Any) -> None:
    with serve_with(tmp_path, TORCHCANVAS_TOKEN="s3cret") as url:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        try:
            page = context.new_page()
            asked: list[str] = []

            def answer(dialog: Any) -> None:
                asked.append(dialog.message)
                dialog.accept("s3cret")

            page.on("dialog", answer)
            page.goto(url + "/")
            page.locator("body[data-painted][data-fitted]").wait_for()
            page.get_by_test_id("save").click()
            expect(page.get_by_test_id("saved-as")).to_contain_text("v1")
            assert len(asked) == 1 and "token" in asked[0]
            page.get_by_test_id("save").click()  # the tab keeps the token: no second question
            expect(page.get_by_test_id("saved-as")).to_contain_text("v2")
            assert len(asked) == 1
        finally:
            context.close()
