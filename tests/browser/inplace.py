"""Waiting for an in-place step completion (htmx): static/js/htmx-config.js counts each swap of the
action panel in <html data-step-swaps>, so a test waits for the count to grow, not for a page load."""

SWAPS = "() => Number(document.documentElement.dataset.stepSwaps || 0)"
GREW = "(before) => Number(document.documentElement.dataset.stepSwaps || 0) > before"  # a function: no eval (CSP)


def swaps(page):
    return page.evaluate(SWAPS)


def click_in_place(page, locator):
    """Click a button whose form posts in place, and wait until the action panel is swapped."""
    before = swaps(page)
    locator.click()
    page.wait_for_function(GREW, arg=before)
