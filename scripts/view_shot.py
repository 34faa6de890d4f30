"""A PNG of a memory page (``gitmem view``) for the README: ``make view-shot`` runs it on the demo's page.

Headless Chromium over the DevTools pipe (tests/chromium.py): the page is opened, its newest session
expanded, and the first screen captured. The browser is closed (its process group killed) when done.

    .venv/bin/python scripts/view_shot.py PAGE.html OUT.png [--width 1280] [--height 900]
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from chromium import Browser, chromium_binary  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)
    binary, why_not = chromium_binary()
    if binary is None:
        print(f"view-shot: {why_not}", file=sys.stderr)
        return 1
    with Browser(binary) as browser:
        tab = browser.page()
        tab.call("Emulation.setDeviceMetricsOverride", {"width": args.width, "height": args.height,
                                                         "deviceScaleFactor": 1, "mobile": False})
        tab.open(args.page.resolve().as_uri())
        tab.eval("{ const d = document.querySelector('#sessions details'); if (d) d.open = true; }")
        tab.settle(200)
        problems = tab.problems()
        png = base64.b64decode(tab.call("Page.captureScreenshot", {"format": "png"})["data"])
    if problems:
        print("view-shot: the page reported: " + "; ".join(problems), file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(png)
    print(f"{args.out} ({len(png) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
