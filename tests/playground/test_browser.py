"""The playground in a real headless browser: Debian's chromium, driven by Selenium.

One server (uvicorn on a free port of 127.0.0.1) and one browser serve the whole module.
The browser is found where Debian puts it (``chromium``, ``/usr/bin/chromedriver``) and
nothing is downloaded: Selenium is given the driver's path, so its manager never runs.
Without chromium these tests skip, except under CI (``CI`` set), where they must run.

The race test also writes the docs' screenshot, docs/figures/playground-race.png, so the
picture on the playground page is always one the current code drew.
"""
import base64
import importlib.util
import io
import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from conftest import require_installed

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "figures" / "playground-race.png"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 30  # seconds: generous, for a busy 2-core machine; the tests do not wait it out when it works


def require_browser() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = [what for what, there in [
        ("the selenium package", importlib.util.find_spec("selenium") is not None),
        ("the server's packages (starlette, uvicorn)", importlib.util.find_spec("uvicorn") is not None),
        ("Debian's chromium", chromium is not None),
        (CHROMEDRIVER, os.path.isfile(CHROMEDRIVER))] if not there]
    require_installed(missing, "the browser tests", "apt-get install chromium chromium-driver; .ci/run does")
    return chromium


@pytest.fixture(scope="module")
def server():
    chromium = require_browser()
    import uvicorn

    from minigrad.playground.server import create_app

    # scikit-learn's first import is slow: do it while the browser starts, not in a test's wait.
    threading.Thread(target=lambda: __import__("sklearn.model_selection"), daemon=True).start()

    config = uvicorn.Config(create_app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                            timeout_graceful_shutdown=1)
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not instance.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    port = instance.servers[0].sockets[0].getsockname()[1]
    yield {"url": f"http://127.0.0.1:{port}", "chromium": chromium}
    instance.should_exit = True
    thread.join(10)


def start_browser(chromium: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,900", "--hide-scrollbars"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def browser(server):
    driver = start_browser(server["chromium"])
    yield driver
    driver.quit()


def until(driver, expression: str, timeout: float = WAIT):
    """Wait until the JavaScript ``expression`` is truthy; return its value."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: d.execute_script(f"try {{ return {expression}; }} catch (e) {{ return null; }}"),
        message=f"waited {timeout} s for: {expression}")


def js(driver, expression: str):
    return driver.execute_script(f"return {expression};")


def open_page(driver, server, query: str = ""):
    driver.get(f"{server['url']}/{query}")
    until(driver, "window.playground.state.runId && window.playground.state.frames > 0 && "
                  "document.getElementById('boundary-a') !== null")


def boundary_image(driver, lane: str = "a") -> str:
    return js(driver, f"document.getElementById('boundary-{lane}').toDataURL()")


def enter(driver, element_id: str, text: str):
    from selenium.webdriver.common.keys import Keys

    field = driver.find_element("id", element_id)
    field.clear()
    field.send_keys(text, Keys.ENTER)


def step_to(driver, target: int):
    """Send step commands from the page until its run has taken ``target`` steps, waiting
    whenever the server's rate limit says 429 (the limit is the server's, not the test's)."""
    driver.set_script_timeout(WAIT * 2)
    driver.execute_async_script("""
        const [target, done] = arguments;
        const run = window.playground.state.runId;
        (async () => {
          for (;;) {
            const frame = await (await fetch(`/api/runs/${run}/frame`)).json();
            if (frame.step >= target) return done(frame.step);
            const steps = Math.min(200, target - frame.step);
            const answer = await fetch(`/api/runs/${run}/step`, {method: "POST", body: JSON.stringify({steps})});
            if (answer.status === 429) await new Promise((wake) => setTimeout(wake, 300));
            else if (!answer.ok) return done(await answer.text());
          }
        })();""", target)


def click(driver, element_id: str):
    driver.find_element("id", element_id).click()


RACE_STEPS = 600  # the race in the docs' picture

STEP = "window.playground.state.meta.step"
LANES = "window.playground.state.lanes"


def test_training_on_moons_lowers_the_loss_and_redraws_the_boundary(browser, server):
    open_page(browser, server, "?dataset=moons&speed=200")
    until(browser, "window.playground.state.lastRender > 0 && !window.playground.state.renderQueued")
    before = boundary_image(browser)  # the untrained model's boundary, as drawn
    start_loss = js(browser, f"{LANES}[0].records[0].train_loss")
    click(browser, "play")
    until(browser, f"{STEP} >= 150")
    click(browser, "play")  # now labelled Pause
    until(browser, "!window.playground.state.meta.playing")
    until(browser, "document.getElementById('status').textContent.includes('paused')", timeout=5)
    end_loss = js(browser, f"{LANES}[0].records.at(-1).train_loss")
    assert end_loss < 0.7 * start_loss
    until(browser, f"document.getElementById('boundary-a').toDataURL() !== {json.dumps(before)}", timeout=5)
    # The curves show the fall too: the loss chart was drawn from the records.
    assert js(browser, f"{LANES}[0].records.length") > 100


def test_switching_the_optimizer_restarts_with_its_own_fields(browser, server):
    from selenium.webdriver.support.ui import Select

    open_page(browser, server, "?opt=adam")
    click(browser, "step")
    until(browser, f"{STEP} === 1")
    Select(browser.find_element("id", "f-opt")).select_by_value("sgd")
    until(browser, f"{LANES}[0].label === 'SGD (lr=0.3)'")
    assert js(browser, STEP) == 0
    assert "opt=sgd" in browser.current_url and "lr=0.3" in browser.current_url
    assert browser.find_element("id", "f-momentum").is_displayed()
    assert not browser.find_element("id", "f-beta1").is_displayed()
    assert browser.find_element("id", "f-lr").get_attribute("value") == "0.3"


def test_a_race_of_two_optimizers_on_the_same_data_and_seed(browser, server):
    open_page(browser, server, "?dataset=spirals&hidden=16,16&activation=tanh&speed=250"
                               "&opt=adam&lr=0.02&b.opt=momentum&b.lr=0.05")
    assert browser.find_element("id", "race").is_selected()
    shown = "['a', 'b'].map((tag) => document.getElementById(`lane-${tag}-label`).textContent)"
    until(browser, f"{shown}.join() === 'A: Adam (lr=0.02),B: Momentum (lr=0.05)'", timeout=5)
    start_a, start_b = js(browser, f"[{LANES}[0].records[0], {LANES}[1].records[0]]")
    assert start_a["train_loss"] == start_b["train_loss"]  # the same initial weights, the same data
    click(browser, "play")
    until(browser, f"{STEP} >= 100")
    click(browser, "play")
    until(browser, "!window.playground.state.meta.playing")
    steps = js(browser, f"{LANES}.map((lane) => lane.records.at(-1).step)")
    assert steps[0] == steps[1]  # the lanes step together
    # For the picture, exactly RACE_STEPS steps from the start: Reset, then step commands.
    click(browser, "reset")
    until(browser, f"{STEP} === 0 && {LANES}[0].records.length === 1")
    step_to(browser, RACE_STEPS)
    until(browser, f"{STEP} === {RACE_STEPS} && {LANES}[1].records.at(-1).step === {RACE_STEPS}")
    accuracy = js(browser, f"{LANES}.map((lane) => lane.records.at(-1).train_accuracy)")
    assert accuracy[0] >= accuracy[1] + 0.1, accuracy  # what docs/playground.md says of the picture
    until(browser, f"document.getElementById('status').textContent.startsWith('step {RACE_STEPS} ')", timeout=5)
    time.sleep(0.3)  # let the last drawing reach the screen
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 50_000

    # The exports: the boundaries as a PNG, the curves as CSV.
    from PIL import Image

    png = js(browser, "window.playground.boundaryPNG()")
    assert png.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(png.split(",", 1)[1])))
    assert image.size == (2 * 300 + 10, 300 + 22)
    csv = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(document.getElementById('csv').href).then((r) => r.text()).then(done);")
    lines = csv.splitlines()
    assert lines[0].startswith("lane,optimizer,step,epoch,lr,train_loss")
    assert {line.split(",")[0] for line in lines[1:]} == {"A", "B"}


def test_the_url_holds_the_setup_and_a_reload_restores_it(browser, server):
    open_page(browser, server, "?dataset=circles&b.opt=rmsprop")
    enter(browser, "f-lr", "0.005")
    until(browser, f"{LANES}[0].label === 'Adam (lr=0.005)'")
    enter(browser, "f-hidden", "6,4")
    click(browser, "f-b-eps_inside_sqrt")
    until(browser, "location.search.includes('hidden=6,4') && location.search.includes('b.eps_inside_sqrt=1')")
    setup = js(browser, "window.playground.readForm()")
    shared = browser.current_url
    browser.get("about:blank")
    browser.get(shared)
    until(browser, "window.playground.state.runId && window.playground.state.frames > 0")
    assert js(browser, "window.playground.readForm()") == setup
    assert browser.find_element("id", "race").is_selected()
    assert browser.find_element("id", "f-b-eps_inside_sqrt").is_selected()
    assert js(browser, f"{LANES}.map((lane) => lane.label)") == ["Adam (lr=0.005)", "RMSProp (lr=0.01)"]
    assert js(browser, "window.playground.state.data.name") == "circles"
    click(browser, "share")
    assert browser.find_element("id", "share-url").get_attribute("value") == shared


def test_malformed_input_gets_a_message_and_the_page_stays_usable(browser, server):
    open_page(browser, server, "?lr=abc&hidden=1000000000")
    error = browser.find_element("id", "error")
    until(browser, "document.getElementById('error').textContent.includes('width 1000000000')")
    assert "lr: expected a number, got 'abc'" in error.text
    assert "over the limit of 64" in error.text
    assert js(browser, f"{LANES}[0].label") == "Adam (lr=0.02)"  # the defaults stood in
    click(browser, "step")
    until(browser, f"{STEP} === 1")

    enter(browser, "f-lr", "fast")
    until(browser, "document.getElementById('error').textContent.includes(\"lr: expected a number, got 'fast'\")")
    assert "invalid" in browser.find_element("id", "f-lr").get_attribute("class")
    assert js(browser, STEP) == 1  # the run went on untouched

    status, answer = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(`/api/runs/${window.playground.state.runId}/config`, {method: 'POST', body: '{'})"
        ".then(async (r) => done([r.status, await r.json()]));")
    assert status == 400 and "not valid JSON" in answer["error"]

    enter(browser, "f-lr", "0.01")
    until(browser, "document.getElementById('error').textContent === ''")
    click(browser, "step")
    until(browser, f"{STEP} === 1 && {LANES}[0].label === 'Adam (lr=0.01)'")


def test_two_pages_train_their_own_runs_at_once(browser, server):
    # A second window is a second client: its own page, its own stream, its own run.
    open_page(browser, server, "?dataset=moons&opt=adam&speed=100")
    first = browser.current_window_handle
    browser.switch_to.new_window("window")
    second = browser.current_window_handle
    try:
        open_page(browser, server, "?dataset=circles&opt=sgd&speed=100")
        click(browser, "play")
        browser.switch_to.window(first)
        click(browser, "play")
        for window in (first, second):
            browser.switch_to.window(window)
            until(browser, f"{STEP} >= 40")
            click(browser, "play")
            until(browser, "!window.playground.state.meta.playing")
        pages = []
        for window in (first, second):
            browser.switch_to.window(window)
            pages.append(js(browser, "[window.playground.state.runId, window.playground.state.data.name, "
                                     f"{LANES}[0].label]"))
        assert pages[0][0] != pages[1][0]
        assert pages[0][1:] == ["moons", "Adam (lr=0.02)"]
        assert pages[1][1:] == ["circles", "SGD (lr=0.3)"]
    finally:
        browser.switch_to.window(second)
        browser.close()
        browser.switch_to.window(first)


def test_a_diverging_optimizer_shows_where_and_why_and_the_other_goes_on(browser, server):
    open_page(browser, server, "?hidden=32,32,32&activation=relu&opt=sgd&lr=10&speed=200&b.opt=adam&b.lr=0.01")
    click(browser, "play")
    until(browser, f"{LANES}[0].diverged !== null")
    diverged_at = js(browser, f"{LANES}[0].diverged.step")
    until(browser, f"{STEP} >= {diverged_at + 30}")  # the race goes on with the other lane
    until(browser, "document.getElementById('diverged-a').textContent.startsWith('Diverged at step')", timeout=5)
    text = browser.find_element("id", "diverged-a").text
    assert f"Diverged at step {diverged_at}" in text
    assert "training diverged: the loss is" in text and "lr=10" in text and "Where:" in text
    assert browser.find_element("id", "diverged-b").text == ""
    click(browser, "play")
    until(browser, "!window.playground.state.meta.playing")
    enter(browser, "f-lr", "0.1")
    until(browser, f"{LANES}[0].label === 'SGD (lr=0.1)' && {LANES}[0].diverged === null")
    until(browser, "document.getElementById('diverged-a').textContent === ''", timeout=5)  # drawn anew


def test_a_page_whose_run_was_dropped_starts_a_new_one(browser, server):
    open_page(browser, server, "?dataset=xor&opt=rmsprop")
    old_run = js(browser, "window.playground.state.runId")
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(`/api/runs/${window.playground.state.runId}/close`, {method: 'POST'}).then(() => done());")
    until(browser, f"window.playground.state.runId && window.playground.state.runId !== {json.dumps(old_run)}")
    assert js(browser, f"{LANES}[0].label") == "RMSProp (lr=0.01)"  # the same setup, from the form
    click(browser, "step")
    until(browser, f"{STEP} === 1")
