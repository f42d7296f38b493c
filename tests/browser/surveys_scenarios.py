"""Browser scenarios of the respondent's form, run by ``tests.support.browser.run_scenario`` in a child
process with Debian's chromium (no eventlet here). Each returns what the test asserts on, and
asserts on what a respondent sees as it goes."""
from __future__ import annotations

ERROR_ID = "knowledge_increased-error"


def _error_state(page) -> dict:
    error = page.locator(f"#{ERROR_ID}")
    legend = page.locator("fieldset:has(#knowledge_increased-1) legend")
    fieldset = page.locator("fieldset:has(#knowledge_increased-1)")
    return {
        "title": page.title(),
        "error_text": " ".join(error.text_content().split()),  # as a screen reader reads it
        "error_visible": error.is_visible(),
        "error_role": error.get_attribute("role"),
        "error_in_item": fieldset.locator(f"#{ERROR_ID}").count() == 1,
        "described_by": fieldset.get_attribute("aria-describedby") or "",
        "legend": legend.inner_text().strip(),
        "satisfaction_kept": page.locator("#satisfaction-4").is_checked(),
        "comments_kept": page.locator("#comments").input_value(),
        "summary_link": page.locator(".summary a").first.get_attribute("href"),
    }


def fill_with_an_error_then_fix(page, url: str, error_shot: str, form_shot: str) -> dict:
    """Answer one question, skip another, send; see the error by its item; fix; send; thanked."""
    page.goto(url)
    page.screenshot(path=form_shot, full_page=True)
    page.get_by_label("Agree", exact=True).first.check()  # satisfaction: 4
    page.get_by_label("Any other comments about the program? (optional)").fill("Very useful sessions")
    with page.expect_response(lambda response: response.request.method == "POST") as sent:
        page.get_by_role("button", name="Send my answers").click()
    assert sent.value.status == 400, f"answers missing a required one were answered {sent.value.status}"
    page.wait_for_load_state()
    seen = {**_error_state(page), "status": sent.value.status}
    page.screenshot(path=error_shot, full_page=True)
    page.locator("#knowledge_increased-5").check()
    page.get_by_role("button", name="Send my answers").click()
    seen["after_fix"] = page.locator("h1").inner_text().strip()
    seen["after_fix_body"] = page.locator("main p").inner_text().strip()
    return seen


def switch_to_french(page, url: str) -> dict:
    """Open the form in English and follow the language switch."""
    page.goto(url)
    before = page.locator("html").get_attribute("lang")
    page.get_by_role("link", name="Français").click()
    return {"before": before, "after": page.locator("html").get_attribute("lang"),
            "title": page.locator("h1").inner_text().strip(),
            "first_legend": page.locator("legend").first.inner_text().strip(),
            "button": page.get_by_role("button").inner_text().strip()}


def keyboard_only(page, url: str) -> dict:
    """Fill and send the form with the keyboard alone: Tab between items, arrows within a scale."""
    page.goto(url)
    focused = []
    page.keyboard.press("Tab")  # the language switch
    focused.append(page.evaluate("document.activeElement.textContent.trim()"))
    page.keyboard.press("Tab")  # satisfaction, first choice
    focused.append(page.evaluate("document.activeElement.id"))
    for _ in range(3):
        page.keyboard.press("ArrowDown")  # moves and checks: ends on 4
    page.keyboard.press("Tab")  # knowledge_increased, first choice
    focused.append(page.evaluate("document.activeElement.id"))
    page.keyboard.press("Space")  # checks 1
    page.keyboard.press("ArrowDown")  # 2
    page.keyboard.press("Tab")  # comments
    focused.append(page.evaluate("document.activeElement.id"))
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Tab")  # the button
    focused.append(page.evaluate("document.activeElement.tagName"))
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    return {"focused": focused, "heading": page.locator("h1").inner_text().strip()}
