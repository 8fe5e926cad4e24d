"""Draw the notebooks' pictures and embed them as PNG cell attachments of the solution notebooks.

A picture instead of ASCII art: a 118-column box drawing wraps into noise in a laptop's window.
Each picture is drawn as SVG and rasterised at twice its size by Debian's chromium through
playwright (the dev extras; JupyterLab renders PNG attachments, not SVG ones). Run it after
changing a drawing, then `labkit build`:

    .venv/bin/python solutions/pictures/draw.py
"""
from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parent.parent


class Canvas:
    def __init__(self, width, height, title):
        self.out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
                    'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">',
                    '<defs><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
                    'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#455a64"/></marker></defs>',
                    f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
                    f'<text x="20" y="28" font-size="15" font-weight="bold" fill="#263238">{title}</text>']

    def box(self, x, y, w, h, title, lines=(), fill="#eceff1", stroke="#90a4ae", bold=True):
        self.out.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>')
        ty = y + 22
        self.out.append(f'<text x="{x + w / 2}" y="{ty}" text-anchor="middle" font-weight="{"bold" if bold else "normal"}" fill="#263238">{title}</text>')
        for i, line in enumerate(lines):
            self.out.append(f'<text x="{x + w / 2}" y="{ty + 18 * (i + 1)}" text-anchor="middle" fill="#37474f" font-size="12">{line}</text>')
        return (x, y, w, h)

    def arrow(self, x1, y1, x2, y2, label="", lx=None, ly=None, anchor="middle", dashed=False):
        dash = ' stroke-dasharray="5,4"' if dashed else ""
        self.out.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#455a64" stroke-width="1.8" marker-end="url(#a)"{dash}/>')
        if label:
            lx = (x1 + x2) / 2 if lx is None else lx
            ly = (y1 + y2) / 2 - 7 if ly is None else ly
            for i, part in enumerate(label.split("\n")):
                self.out.append(f'<text x="{lx}" y="{ly + 15 * i}" text-anchor="{anchor}" fill="#1565c0" font-size="12" font-weight="bold">{part}</text>')

    def text(self, x, y, words, color="#1565c0", anchor="middle"):
        self.out.append(f'<text x="{x}" y="{y}" text-anchor="{anchor}" fill="{color}" font-size="12">{words}</text>')

    def svg(self):
        return "\n".join(self.out + ["</svg>"])


def architecture() -> str:
    """Lab 00: the immersion day, lab by lab."""
    c = Canvas(980, 470, "The immersion day, lab by lab (numbers are the labs)")
    c.box(20, 60, 170, 80, "Source data set", ["asset bucket", "SIS + LMS files"], "#f5f5f5", "#9e9e9e")
    c.box(330, 50, 210, 100, "RAW zone", ["dataedu-raw-&lt;guid&gt;", "sisdb/ Parquet · lmsapi/ CSV", "SSE-KMS"],
          "#fff3e0", "#fb8c00")
    c.box(720, 50, 230, 100, "Glue Data Catalog", ["db_raw_sisdemo", "db_raw_lmsdemo", "tables + partitions"],
          "#f3e5f5", "#8e24aa")
    c.box(345, 205, 180, 58, "KMS key", ["alias/dataedu-key"], "#fce4ec", "#d81b60")
    c.box(720, 215, 230, 80, "Query engines", ["Athena (04) · Redshift (06)", "Spectrum reads the lake"],
          "#fffde7", "#f9a825")
    c.box(330, 330, 210, 90, "CURATED zone", ["dataedu-curated-&lt;guid&gt;", "Parquet, SNAPPY"], "#e8f5e9", "#43a047")
    c.box(720, 360, 230, 70, "RESULTS zone", ["dataedu-results-&lt;guid&gt; · athena/"], "#e3f2fd", "#1e88e5")
    c.box(20, 340, 170, 70, "SageMaker AI", ["training · endpoint"], "#e0f7fa", "#00838f")
    c.arrow(190, 100, 328, 100, "Lambda copy (02)")
    c.arrow(540, 100, 718, 100, "Glue crawlers (03)")
    c.arrow(435, 205, 435, 152, "key users (01)", lx=445, ly=183, anchor="start")
    c.arrow(835, 150, 835, 213, "table definitions", lx=845, ly=187, anchor="start")
    c.arrow(718, 270, 542, 350, "CTAS (04) · DataBrew (05)", lx=622, ly=268)
    c.arrow(835, 295, 835, 358, "query results", lx=845, ly=332, anchor="start")
    c.arrow(328, 375, 192, 375, "training data (07)")
    c.arrow(435, 263, 435, 328, "encrypts every zone", lx=445, ly=300, anchor="start", dashed=True)
    return c.svg()


def lambda_load() -> str:
    """Lab 02: the loader fans out, the copies write the raw zone as their own role."""
    c = Canvas(980, 360, "The loader fans out; the copies do the work, each as the copy function's role")
    c.box(20, 70, 90, 50, "you", [], "#eceff1", "#78909c")
    c.box(180, 40, 300, 110, "dataedu-fetch-demo-data", ["role: dataedu-fetch-demo-data-role",
          "logs: /aws/lambda/dataedu-fetch-demo-data", "returns at once: 153 copies started"], "#ede7f6", "#5e35b1")
    c.box(640, 40, 320, 110, "dataedu-fetch-s3-data", ["role: dataedu-fetch-s3-data-role",
          "logs: /aws/lambda/dataedu-fetch-s3-data", "153 runs in parallel, one per object"], "#ede7f6", "#5e35b1")
    c.box(560, 245, 180, 70, "source bucket", ["the generated data set"], "#f5f5f5", "#9e9e9e")
    c.box(770, 235, 190, 90, "RAW zone", ["default encryption SSE-KMS", "with dataedu-key"], "#fff3e0", "#fb8c00")
    c.arrow(110, 95, 178, 95, "Invoke")
    c.arrow(480, 95, 638, 95, "153 × Invoke", ly=84)
    c.text(559, 118, 'InvocationType="Event"')
    c.arrow(700, 150, 660, 243, "GetObject", lx=668, ly=200, anchor="end")
    c.arrow(880, 150, 865, 233, "PutObject\nno SSE headers", lx=860, ly=185, anchor="end")
    c.text(960, 345, "the write needs kms:GenerateDataKey as the copy role (lab 01)", color="#b3261e", anchor="end")
    return c.svg()


PICTURES = {("00_orientation", "architecture.png"): architecture, ("02_lambda_load", "lambda_load.png"): lambda_load}


def rasterise(svg: str) -> bytes:
    from playwright.sync_api import sync_playwright

    width, height = (int(v) for v in re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=2)
        page.set_content(f"<html><body style='margin:0'>{svg}</body></html>")
        png = page.screenshot(clip={"x": 0, "y": 0, "width": width, "height": height})
        browser.close()
    return png


def embed(notebook: Path, name: str, png: bytes) -> None:
    """Put the PNG into the attachments of the markdown cell that shows `attachment:<name>`."""
    nb = json.loads(notebook.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "markdown" and f"attachment:{name}" in "".join(c["source"])]
    if not cells:
        raise SystemExit(f"{notebook.name}: no markdown cell shows attachment:{name}")
    for cell in cells:
        cell["attachments"] = {name: {"image/png": base64.b64encode(png).decode()}}
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    for (lab, name), draw in PICTURES.items():
        embed(SOLUTIONS / f"{lab}.ipynb", name, rasterise(draw()))
        print(f"embedded {name} in solutions/{lab}.ipynb")
