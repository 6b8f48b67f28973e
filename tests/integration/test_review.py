"""Review sampling through the real CLI and a real browser: a policy with a review
section makes certify refuse a run with no review and one whose misses break the bound,
and accept a complete all-clean review; the review page, driven in Debian's headless
chromium by Playwright, highlights what the run replaced and saves signed verdicts."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.helpers import (AS_OF, BIN, TEST_KEY_HEX, TEST_SIGNING_HEX, approvers_yaml, certify,
                           init_approver, one_line_error, passing_validation, privenance, project)

pytestmark = pytest.mark.integration
# 14 records: with no miss the exact bound is 1 - 0.05 ** (1 / 14) = 19.3 % <= 20 %
REVIEW = "review: {max_leak_rate: 0.2, confidence: 0.95}\n"
CHROMIUM = "/usr/bin/chromium"
ENV = {"PRIVENANCE_PSEUDONYM_KEY": TEST_KEY_HEX, "PRIVENANCE_SIGNING_KEY": TEST_SIGNING_HEX}


@pytest.fixture(scope="module")
def staged_project(tmp_path_factory) -> Path:
    """A chats project run once under a policy with a review section, validated, with a
    listed reviewer (rita) and a person who is not listed (eve)."""
    root = project(tmp_path_factory.mktemp("review") / "p", policy_extra=REVIEW)
    privenance("run", "--sources", "sources.yaml", "--policy", "policy.yaml", "--out",
               "staged", "--as-of", AS_OF, "--requests", "requests", cwd=root, env=ENV)
    passing_validation(root / "staged", root / "validation", root / "policy.yaml")
    _, rita = init_approver(root, "rita.lee", "Rita Lee", ["reviewer"])
    init_approver(root, "eve", "Eve", ["reviewer"])
    approvers_yaml(root, rita)
    return root


@pytest.fixture
def root(staged_project, tmp_path) -> Path:
    return Path(shutil.copytree(staged_project, tmp_path / "p"))


def review(root: Path, *args, check=True):
    return privenance("review", *args, "--staged", "staged",
                      cwd=root, check=check)


def export(root: Path) -> list[dict]:
    review(root, "export", "--out", "sample.jsonl")
    return [json.loads(line) for line in (root / "sample.jsonl").read_text().splitlines()]


def import_verdicts(root: Path, verdicts: list[dict], who="rita.lee", check=True):
    (root / "verdicts.jsonl").write_text("".join(json.dumps(v) + "\n" for v in verdicts))
    return review(root, "import", "verdicts.jsonl", "--key-file", f"people/{who}.key",
                  check=check)


def test_certify_refuses_a_run_with_no_review(root):
    refused = certify(root, False)
    assert refused.returncode == 1
    assert "no review of run" in one_line_error(refused)
    assert not (root / "certified" / "chats").exists()


def test_certify_accepts_a_complete_all_clean_review(root):
    sample = export(root)
    assert len(sample) == 14  # ceil(ln 0.05 / ln 0.8)
    raw = (root / "raw" / "chats.jsonl").read_text()
    emails = re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", raw)
    written = (root / "sample.jsonl").read_text()
    assert emails and not any(e in written for e in emails)  # only what was written
    record = sample[0]
    assert {"_record_id", "_source", "_language", "chat_id", "message"} <= set(record)
    hashed = [s for r in sample for s in r["_replaced"]
              if s["column"] == "message" and s["entity"] == "EMAIL_ADDRESS"]
    assert hashed and all(re.fullmatch(r"[0-9a-f]{16,}", r["message"][s["start"]:s["end"]])
                          for r in sample for s in r["_replaced"]
                          if s["column"] == "message" and s["operator"] == "hash")

    # the unlisted person cannot sign; half a review does not certify
    unlisted = import_verdicts(root, [{"_record_id": sample[0]["_record_id"], "leaks": []}],
                               who="eve", check=False)
    assert unlisted.returncode == 2 and "is not listed" in one_line_error(unlisted)
    import_verdicts(root, [{"_record_id": r["_record_id"], "leaks": []} for r in sample[:5]])
    incomplete = certify(root, False)
    assert incomplete.returncode == 1
    assert "incomplete: 5 of 14 sampled records reviewed" in one_line_error(incomplete)

    out = import_verdicts(root, [{"_record_id": r["_record_id"], "leaks": []} for r in sample])
    assert "0 of 14 records with a miss; leak rate bound 19.26%" in out.stdout
    certify(root)
    cert = json.loads((root / "certified" / "chats" / ".certificate.json").read_text())
    assert cert["review"]["sample_size"] == 14 and cert["review"]["records_with_leaks"] == 0
    assert cert["review"]["reviewers"] == [{"id": "rita.lee", "name": "Rita Lee"}]
    verified = privenance("verify", "certified/chats", "--approvers", "keys/approvers.yaml",
                          cwd=root).stdout
    assert "review: 0 of 14 sampled records with a miss, leak rate bound 19.26%" in verified
    assert "Rita Lee (rita.lee)" in verified
    privenance("report", "--name", "chats", "--data", ".", "--out", "reports", cwd=root, env=ENV)
    page = (root / "reports" / "report.html").read_text()
    assert "Measured residual risk: review sample" in page
    assert "<b>0 of 14</b> records drawn at random" in page and "19.26 %" in page
    croissant = (root / "reports" / "croissant.json").read_text()
    assert "Rita Lee reviewed 14 records drawn at random" in croissant


def test_certify_refuses_a_review_whose_misses_break_the_bound(root):
    sample = export(root)
    verdicts = [{"_record_id": r["_record_id"], "leaks": []} for r in sample]
    for v, r in list(zip(verdicts, sample))[:2]:  # a name the run missed, say
        v["leaks"] = [{"column": "message", "start": 0, "end": 2, "entity": "PERSON"}]
    verdicts[2]["over_redactions"] = [{"column": "chat_id", "start": 0, "end": 5}]
    import_verdicts(root, verdicts)
    refused = certify(root, False)
    assert refused.returncode == 1
    line = one_line_error(refused)
    assert "found 2 of 14 sampled records still identifying someone" in line
    assert "upper bound at 95% confidence is 38.54%, above the policy's max_leak_rate 20.00%" in line
    stored = [json.loads(line) for p in (root / "data" / "reviews").rglob("verdicts.jsonl")
              for line in p.read_text().splitlines()]
    assert all(set(leak) == {"column", "start", "end", "entity"}  # positions and kinds only
               for v in stored for leak in v["leaks"])
    assert not any(r["message"] in json.dumps(stored) for r in sample)
    status = review(root, "status", check=False)
    assert status.returncode == 1 and "ABOVE the policy's 20.00%" in status.stdout


def _serve(root: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([str(BIN / "privenance"), "review", "serve", "--staged", "staged",
                             "--key-file", "people/rita.lee.key"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **ENV})
    line = proc.stdout.readline()
    match = re.search(r"open (http://127\.0\.0\.1:\d+/\?t=\S+)", line)
    assert match, (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, match.group(1)


def test_the_review_page_in_a_browser(root, tmp_path, monkeypatch):
    from PIL import Image
    from playwright.sync_api import expect, sync_playwright
    monkeypatch.setenv("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")  # never fetch a browser
    proc, url = _serve(root)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            page.wait_for_selector(".text")
            assert page.inner_text("#progress") == "0 of 14 reviewed"
            assert page.locator("#cols mark.rep").count() > 0  # what the run replaced
            title = page.locator("#cols mark.rep").first.get_attribute("title")
            assert re.fullmatch(r"[A-Z_]+ → \w+", title), title
            # select the first two characters of the message and call them a name
            page.evaluate("""() => {
                const box = document.querySelector('.text[data-column="message"]');
                const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
                const node = walker.nextNode(), range = document.createRange();
                range.setStart(node, 0); range.setEnd(node, 2);
                getSelection().removeAllRanges(); getSelection().addRange(range); }""")
            page.keyboard.press("1")
            page.keyboard.press("l")
            assert page.locator("#cols mark.leak").count() == 1
            assert "leak: a name in message at 0–2" in page.inner_text("#marks")
            shot = tmp_path / "review.png"
            page.screenshot(path=str(shot), full_page=True)
            page.keyboard.press("Enter")
            expect(page.locator("#progress")).to_have_text(re.compile("^1 of 14"))
            for n in range(2, 15):  # the rest clean, by keyboard
                page.keyboard.press("c")
                expect(page.locator("#progress")).to_have_text(re.compile(f"^{n} of 14"))
            assert "complete" in page.inner_text("#progress")
            # resume after a break: a reload shows what was saved
            page.reload()
            page.wait_for_selector(".text")
            assert page.inner_text("#progress") == "14 of 14 reviewed"
            assert all(u.startswith("http://127.0.0.1:") for u in requests)  # no external asset
            # the token is spent: the same URL opens nothing in another browser session
            other = browser.new_context().new_page()
            assert other.goto(url).status == 403
            assert other.goto(url.split("?")[0] + "api/state").status == 403
            browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert "1 of 14 records with a miss" in out, (out, err)
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert image.size[0] == 1200 and len(colours) > 50, "the screenshot is (nearly) blank"
    assert (16, 42, 67) in {c for _, c in colours}  # the header #102a43
    verdicts = [json.loads(line) for p in (root / "data" / "reviews").rglob("verdicts.jsonl")
                for line in p.read_text().splitlines()]
    assert len(verdicts) == 14 and all(v["approver"] == "rita.lee" and v["signature"]
                                       for v in verdicts)
    leaks = [v["leaks"] for v in verdicts if v["leaks"]]
    assert leaks == [[{"column": "message", "start": 0, "end": 2, "entity": "PERSON"}]]
    refused = certify(root, False)
    assert refused.returncode == 1 and "above the policy's max_leak_rate" in refused.stderr
