"""The lineage report of a demo-like run, opened in a real browser (headless Chromium):
its rendered text has the sections a privacy officer reads, and a screenshot of it is
not blank. .ci/run installs Debian's chromium; the test skips only without one."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest

from privenance.keys import fingerprint
from tests.helpers import privenance

pytestmark = pytest.mark.integration
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


def _chromium(*args: str, profile) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=True)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (.ci/run installs Debian's)")
def test_the_report_renders_in_a_browser(workspace_after_demo_run, monkeypatch, tmp_path):
    from PIL import Image
    monkeypatch.delenv("PRIVENANCE_SIGNING_KEY")  # certify with this machine's DEMO key
    root = workspace_after_demo_run  # after privenance run --policy policies/demo.yaml
    privenance("validate", cwd=root)
    privenance("certify", "--name", "demo", cwd=root)
    assert "DEMO key" in privenance("report", "--name", "demo", cwd=root).stderr
    page = root / "data/reports/report.html"
    facts = json.loads((root / "data/reports/report.json").read_text())
    assert facts["signing"]["kind"] == "demo"

    dom = _chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile").stdout
    text = " ".join(html.unescape(re.sub(r"<(style|title).*?</\1>|<[^>]+>", " ", dom, flags=re.DOTALL)).split())
    assert text.startswith("DEMO KEY: this certificate was signed by a locally generated demo key")
    assert fingerprint(facts["signing"]["public_key"]) in text
    for heading in ("Sources that gave no records", "Quarantined records by reason",
                    "How much each operator changed", "Data Protection Principles checklist",
                    "Detection quality: what the benchmark measured", "Run metadata"):
        assert heading in text, heading
    assert re.search(r"research-interviews (\d+) LICENCE_NOT_ALLOWED \1 ", text)  # dropped entirely
    assert "the licence does not permit the policy's purpose" in text
    assert "DPP4 security: no direct identifier" in text
    assert "These are not measurements of this dataset" in text and "WNUT-17" in text

    shot = tmp_path / "report.png"
    _chromium("--window-size=1280,2400", f"--screenshot={shot}", page.as_uri(),
              profile=tmp_path / "profile")
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2400)
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    # the red demo banner across the top, the dark header below it
    top = image.getpixel((640, 5))
    assert top[0] > 120 and top[1] < 60 and top[2] < 60, top
    assert (16, 42, 67) in {c for _, c in colours}  # header #102a43
