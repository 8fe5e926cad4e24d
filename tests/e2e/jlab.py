"""Small helpers to drive JupyterLab 4 with playwright: open a notebook, run it, find widgets."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import TOKEN


PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"   # the notebook in front (others may stay open)


def open_notebook(page: Page, server: dict, name: str) -> None:
    # ?reset: no tabs restored from an earlier page's workspace, only this notebook.
    page.goto(f"{server['url']}/lab/tree/{name}?reset&token={TOKEN}")
    page.wait_for_selector(f"{PANEL} .jp-Cell", timeout=90_000)
    # The kernel is ready when the status bar says so (the toolbar indicator turns idle too early).
    expect(page.locator(".jp-StatusBar-Widget").filter(has_text="| Idle").first).to_be_visible(timeout=90_000)


def run_all(page: Page, timeout_ms: int = 240_000) -> None:
    page.locator(f"{PANEL} .jp-Cell").first.click()       # focus the notebook
    page.get_by_role("menuitem", name="Run", exact=True).click()
    item = page.get_by_role("menuitem", name="Run All Cells", exact=True)
    expect(item).not_to_have_attribute("aria-disabled", "true")
    item.click()
    # Done when every code cell shows an execution count (none is pending "[*]" or empty).
    page.wait_for_function(
        """() => {
             const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
             return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
           }""", timeout=timeout_ms)


def quiz(page: Page, question_id: str):
    return page.locator(".labkit-quiz").filter(has_text=question_id).first


def overlaps(page: Page, locator) -> list[str]:
    """Pairs of elements (by index) whose boxes intersect, and options whose text is cut or hidden."""
    return page.evaluate(
        """(els) => {
             const problems = [];
             const boxes = els.map(e => e.getBoundingClientRect());
             for (let i = 0; i < boxes.length; i++) {
               for (let j = i + 1; j < boxes.length; j++) {
                 const a = boxes[i], b = boxes[j];
                 const h = Math.min(a.right, b.right) - Math.max(a.left, b.left);
                 const v = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
                 if (h > 1 && v > 1) problems.push(`option ${i} overlaps option ${j}`);
               }
               const el = els[i];
               for (const t of el.querySelectorAll('span, label')) {
                 if (t.scrollWidth > t.clientWidth + 1 && getComputedStyle(t).overflow !== 'visible')
                   problems.push(`option ${i} text is cut (${t.scrollWidth} > ${t.clientWidth})`);
                 if (getComputedStyle(t).textOverflow === 'ellipsis' && t.scrollWidth > t.clientWidth + 1)
                   problems.push(`option ${i} ends with an ellipsis`);
               }
               const input = el.querySelector('input');
               if (input) {
                 const r = input.getBoundingClientRect();
                 const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                 if (r.width < 4 || r.height < 4) problems.push(`option ${i} has no visible input`);
                 else if (hit !== input && !(hit && el.contains(hit) && hit.tagName === 'LABEL'))
                   problems.push(`option ${i}'s input is covered by ${hit ? hit.className || hit.tagName : 'nothing'}`);
               }
             }
             return problems;
           }""", locator.element_handles())
