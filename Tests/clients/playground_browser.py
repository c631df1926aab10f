#!/usr/bin/env python3
"""The playground in headless Chromium (Debian's chromium and chromium-driver, driven by
selenium): load the page, generate with a fixed seed and compare with `charnn sample`, hover a
character and read its alternatives, render the neuron view, save a screenshot. Run by
ClientInteropTests with the server's port and the expected text.

Exit 0 when every check holds; each failure is printed."""
import argparse, sys, time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--prime", required=True)
parser.add_argument("--seed", type=int, required=True)
parser.add_argument("--temperature", type=float, required=True)
parser.add_argument("--length", type=int, required=True)
parser.add_argument("--expected-file", required=True)
parser.add_argument("--screenshot", required=True)
parser.add_argument("--neuron-text", default="", help="text for the neuron view (default: the generated text)")
parser.add_argument("--unit", default="top", help="a unit number, or top: the most active units")
parser.add_argument("--layer", default="0")
parser.add_argument("--quantity", default="hidden", choices=["hidden", "cell"])
args = parser.parse_args()
expected = open(args.expected_file, encoding="utf-8").read()
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1360,1500"]:
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    wait = WebDriverWait(driver, 30)
    driver.get(f"http://127.0.0.1:{args.port}/")
    wait.until(lambda d: d.find_element(By.ID, "model-name").text != "")
    card = driver.find_element(By.ID, "card").text
    check("parameters" in card and "layers" in card, f"model card: {card!r}")

    def set_value(element_id, value):
        element = driver.find_element(By.ID, element_id)
        element.clear()
        element.send_keys(str(value))

    set_value("prime", args.prime)
    set_value("seed", args.seed)
    set_value("temperature", args.temperature)
    set_value("length", args.length)
    driver.find_element(By.ID, "generate").click()
    wait.until(lambda d: d.find_element(By.ID, "status").text in ("done", "stopped") or "error" in d.find_element(By.ID, "status").text)
    generated = driver.execute_script("return document.getElementById('generated').textContent")
    check(generated == expected, f"generated text equals charnn sample: {generated!r}")

    spans = driver.find_elements(By.CSS_SELECTOR, "#generated span.c")
    check(len(spans) == len(expected), f"one span per character ({len(spans)})")
    tints = {span.value_of_css_property("background-color") for span in spans[:80]}
    check(len(tints) > 3, f"characters tinted by surprise ({len(tints)} tints)")
    ActionChains(driver).move_to_element(spans[min(5, len(spans) - 1)]).perform()
    tooltip = driver.find_element(By.ID, "tooltip")
    wait.until(lambda d: tooltip.is_displayed())
    lines = tooltip.text.splitlines()
    check(len(lines) == 6 and lines[0].startswith("chose"), f"hover shows the top 5 alternatives: {lines}")

    if args.neuron_text:
        driver.execute_script("document.getElementById('neuron-text').value = arguments[0]", args.neuron_text)
    else:
        driver.find_element(By.ID, "use-generated").click()
    for element_id, value in (("layer", args.layer), ("quantity", args.quantity), ("unit", args.unit)):
        driver.execute_script("document.getElementById(arguments[0]).value = arguments[1]", element_id, value)
    driver.find_element(By.ID, "trace").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#neuron-output .neuron")) > 0)
    rows = driver.find_elements(By.CSS_SELECTOR, "#neuron-output .neuron")
    text = driver.find_element(By.ID, "neuron-text").get_attribute("value")
    first_row = rows[0].find_elements(By.TAG_NAME, "span")
    check(len(first_row) == len(text), f"neuron view colours every character ({len(first_row)} of {len(text)})")
    colours = {span.value_of_css_property("background-color") for span in first_row[:200]}
    check(len(colours) > 3, f"neuron view has varying colours ({len(colours)})")
    ActionChains(driver).move_to_element(spans[min(5, len(spans) - 1)]).perform()
    time.sleep(0.2)
    driver.save_screenshot(args.screenshot)
    print(f"screenshot: {args.screenshot}")
finally:
    driver.quit()

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
