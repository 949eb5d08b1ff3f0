"""Quality gates a reader notices: accessibility (axe-core in Chromium) and page weight.

Page weight is what a static host that compresses with gzip sends: a page's *own*
bytes (its HTML, images and data) and a *first visit* (own bytes plus every shared
script, style and font the page loads from ``_static``). Budgets: own bytes median
<= 500 KB and largest <= 2 MB; a first visit <= 2.5 MB.
"""

from __future__ import annotations

import gzip
import statistics
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.browser

KB = 1024
OWN_MEDIAN_BUDGET = 500 * KB
OWN_MAX_BUDGET = 2048 * KB
FIRST_VISIT_BUDGET = int(2.5 * 1024 * KB)
AXE_FAILING_IMPACTS = {"serious", "critical"}


def test_no_serious_accessibility_violations(crawl):
    found = []
    for rel, result in crawl.items():
        for v in result["axe"]:
            if v["impact"] in AXE_FAILING_IMPACTS:
                found.append(f"{rel}: [{v['impact']}] {v['id']}: {v['help']} at {v['nodes']}")
    assert not found, f"{len(found)} serious/critical axe-core violations:\n" + "\n".join(
        found[:40]
    )


def _gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))


def page_weights(crawl, html_dir: Path) -> dict[str, dict[str, int]]:
    weights = {}
    for rel, result in crawl.items():
        own = shared = 0
        for url in dict.fromkeys(result["requested"]):  # each URL once, as a cache would
            local = html_dir / unquote(urlsplit(url).path).lstrip("/")
            if not local.is_file():
                continue
            size = _gzip_size(local)
            if "_static" in local.relative_to(html_dir).parts:
                shared += size
            else:
                own += size
        weights[rel] = {"own": own, "first_visit": own + shared}
    return weights


def test_page_weight_budgets(crawl, html_dir, capsys):
    weights = page_weights(crawl, html_dir)
    with capsys.disabled():
        print("\npage weight (gzip), KB: own / first visit")
        for rel, w in sorted(weights.items(), key=lambda kv: -kv[1]["own"]):
            print(f"  {w['own'] / KB:8.1f} {w['first_visit'] / KB:8.1f}  {rel}")
    owns = [w["own"] for w in weights.values()]
    median = statistics.median(owns)
    assert median <= OWN_MEDIAN_BUDGET, f"median own page weight {median / KB:.0f} KB > 500 KB"
    heavy = {r: w["own"] for r, w in weights.items() if w["own"] > OWN_MAX_BUDGET}
    assert not heavy, f"pages over 2 MB of their own: {heavy}"
    slow = {
        r: w["first_visit"] for r, w in weights.items() if w["first_visit"] > FIRST_VISIT_BUDGET
    }
    assert not slow, f"first visits over 2.5 MB: {slow}"
