"""init's column guessing and manifest writing, and check's exit codes, on small files.
The recognizers are replaced by a fake scanner (regexes) here: the real ones run in
tests/integration/test_newcomer.py."""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.preflight import source_profile as profile
from privenance import onboard
from privenance.errors import ConfigError
from privenance.sources import load_sources
from tests.helpers import REPO

BIN = Path(sys.executable).parent


class FakeScanner:
    """Emails, 8-digit phones and two-word capitalised names, whole-cell or inside text."""

    RULES = (("EMAIL_ADDRESS", re.compile(r"\S+@\S+\.\w+")),
             ("PHONE_NUMBER", re.compile(r"\b\d{8}\b")),
             ("PERSON", re.compile(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b")))

    def findings(self, texts):
        return [[(e, len(m.group(0))) for e, rx in self.RULES for m in rx.finditer(t)]
                for t in texts]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def rows(n=20):
    return [{"ref_no": f"R{i:03d}", "who": "Mary Chan", "mail": f"m{i}@corp.hk",
             "tel": f"9123{i:04d}", "when": f"2024-03-{i % 28 + 1:02d}",
             "story": f"Called Mary Chan about the bill, she asked for a refund {i} times.",
             "channel": "web", "stars": i % 5} for i in range(n)]


def test_profile_guesses_id_text_and_identifier_columns(tmp_path):
    prof = profile.profile_source(str(write_jsonl(tmp_path / "x.data", rows())), FakeScanner())
    assert (prof.format, prof.encoding, prof.rows) == ("jsonl", "utf-8", 20)
    assert prof.id_field == "ref_no"
    assert prof.text_fields == ["story"]
    assert prof.fields == {"who": "PERSON", "mail": "EMAIL_ADDRESS", "tel": "PHONE_NUMBER"}
    assert prof.columns["when"].kind == "date" and prof.columns["stars"].kind == "number"
    assert not prof.columns["channel"].in_text


class CodesAsNames(FakeScanner):
    """Takes the codes below for names, as a statistical model may ("zh" for a name)."""

    CODES = {"en", "zh", "mixed", "HK", "CN", "open", "closed", "in_progress"}

    def findings(self, texts):
        return [found + ([("PERSON", len(t))] if t in self.CODES else [])
                for t, found in zip(texts, super().findings(texts))]


def test_low_cardinality_code_columns_are_never_declared_person(tmp_path):
    data = [{**r, "language": ["en", "zh", "mixed"][i % 3], "country": ["HK", "CN"][i % 2],
             "status": ["open", "closed", "in_progress"][i % 3]} for i, r in enumerate(rows(24))]
    prof = profile.profile_source(str(write_jsonl(tmp_path / "x.jsonl", data)), CodesAsNames())
    assert prof.fields == {"who": "PERSON", "mail": "EMAIL_ADDRESS", "tel": "PHONE_NUMBER"}
    assert prof.text_fields == ["story"]
    assert {c: prof.columns[c].kind for c in ("language", "country", "status")} == dict.fromkeys(
        ("language", "country", "status"), "code")
    # a column of one-word names that do not repeat is not a code column
    names = [{"nick": n} for n in ["alice", "bob", "carol", "dave", "erin", "frank"] * 1]
    assert not profile.is_code_column([r["nick"] for r in names])
    assert profile.is_code_column(["en", "zh", "en", "zh-Hant", "en"])


def test_id_field_is_never_an_identifier_column(tmp_path):
    # unique and filled, but a phone number and an email: no id field rather than those
    data = [{"tel": f"9123{i:04d}", "mail": f"m{i}@corp.hk"} for i in range(10)]
    prof = profile.profile_source(str(write_jsonl(tmp_path / "x.jsonl", data)), None)
    assert prof.id_field is None


def test_encoding_and_format_guesses(tmp_path):
    big5 = tmp_path / "hk.csv"
    big5.write_bytes("編號,內容\n1,陳大文先生投訴\n".encode("big5hkscs"))
    assert profile.guess_encoding(str(big5)) == "big5hkscs"
    assert profile.guess_encoding(str(write_jsonl(tmp_path / "u.jsonl", rows(2)))) == "utf-8"
    plain = tmp_path / "export.txt"
    plain.write_text("a,b\n1,2\n")
    assert profile.guess_format(str(plain)) == "csv"


def _manifest(tmp_path, **given) -> Path:
    path = write_jsonl(tmp_path / "calls.jsonl", rows())
    prof = profile.profile_source(str(path), FakeScanner())
    d = onboard.Declarations(**given)
    text = onboard.manifest_text([("calls", prof)], d, dt.date(2026, 1, 1), 1000)
    out = tmp_path / "sources.yaml"
    out.write_text(text)
    return out


def test_placeholders_are_refused_with_what_to_fill_in(tmp_path):
    path = _manifest(tmp_path)
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    message = str(err.value)
    assert "sources.yaml:" in message and "sources.0.licence" in message
    assert "fill in the licence as an SPDX id" in message and "more placeholder" in message
    assert "\n" not in message


def test_manifest_with_every_declaration_loads_and_prints_no_value(tmp_path):
    path = _manifest(tmp_path, licence="LicenseRef-acme-internal", consent="consent",
                     purposes=[onboard.purpose_name("Model_Training")],
                     retain_until=dt.date(2031, 1, 1))
    source = load_sources(path).sources[0]
    assert source.fields == {"who": "PERSON", "mail": "EMAIL_ADDRESS", "tel": "PHONE_NUMBER"}
    assert source.consent.purposes == ["model-training"]
    assert source.attribution == "acme (calls.jsonl)"
    text = path.read_text()
    assert "Mary Chan" not in text and "@corp.hk" not in text and "91230001" not in text


def test_init_refuses_an_invalid_licence_or_basis_with_a_hint():
    with pytest.raises(ConfigError, match="did you mean CC-BY-4.0"):
        onboard.check_declarations(onboard.Declarations(
            licence="Creative Commons Attribution 4.0"), ["consent"])
    with pytest.raises(ConfigError, match="choose from consent"):
        onboard.check_declarations(onboard.Declarations(consent="agreed"), ["consent"])
    warned = onboard.check_declarations(onboard.Declarations(licence="CC-BY-NC-4.0"), [])
    assert "non-commercial" in warned[0]


def _project(tmp_path: Path, consent: str, fields: str = "{mail: EMAIL_ADDRESS}") -> Path:
    write_jsonl(tmp_path / "calls.jsonl", rows())
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - id: calls\n    path: calls.jsonl\n    id_field: ref_no\n"
        f"    text_fields: [story]\n    fields: {fields}\n    licence: CC-BY-4.0\n"
        f"    attribution: Acme\n    consent: {consent}\n")
    (tmp_path / "policy.yaml").write_text(
        f"extends: {REPO / 'policies' / 'default.yaml'}\nname: calls\n")
    return tmp_path


def _check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "privenance"), "check", "--sources", "sources.yaml",
                           "--policy", "policy.yaml", "--no-scan", "--sample", "50"],
                          cwd=root, capture_output=True, text=True)


@pytest.mark.parametrize("consent, fields, code, says", [
    ("{basis: contract}", "{mail: EMAIL_ADDRESS}", 0, "nothing blocking"),
    ("{basis: consent, purposes: [research]}", "{mail: EMAIL_ADDRESS}", 1,
     "PURPOSE_NOT_CONSENTED: 20 (the consent given does not cover"),
    ("{basis: contract}", "{email: EMAIL_ADDRESS}", 2, "column 'email' is not in the data"),
    ("{basis: contract}", "{mail: EMAIL}", 2, "unknown entity 'EMAIL'"),
])
def test_check_exit_codes(tmp_path, consent, fields, code, says):
    result = _check(_project(tmp_path, consent, fields))
    assert result.returncode == code, result.stdout + result.stderr
    assert says in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Mary Chan" not in result.stdout


def test_check_refuses_a_placeholder_in_one_line(tmp_path):
    root = _project(tmp_path, '"FILL-IN: the lawful basis"')
    result = _check(root)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: sources.yaml:9: sources.0.consent")


def test_version_names_package_and_commit():
    out = subprocess.run([str(BIN / "privenance"), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("privenance 0.1.0 (")


def test_report_defaults_to_the_dataset_certified_from_the_staged_run(tmp_path):
    from privenance.cli.report import certified_name
    for name, run_id in (("old", "r1"), ("acme", "r2")):
        (tmp_path / "certified" / name).mkdir(parents=True)
        (tmp_path / "certified" / name / ".certificate.json").write_text(json.dumps({"run_id": run_id}))
    (tmp_path / "staged").mkdir()
    (tmp_path / "staged" / "run.json").write_text(json.dumps({"run_id": "r2"}))
    assert certified_name(tmp_path) == "acme"
    (tmp_path / "staged" / "run.json").write_text(json.dumps({"run_id": "r3"}))
    with pytest.raises(ConfigError, match="holds acme, old"):
        certified_name(tmp_path)


def test_bytes_in_another_encoding_are_named():
    text = "編號,內容\n" + "".join(f"{i},陳先生說他的電話號碼已經更改了，請你盡快聯絡客戶服務部。\n"
                                    for i in range(30))
    simplified = "编号,内容\n" + "".join(f"{i},陈先生说他的电话号码已经更改了，请你尽快联络客户服务部。\n"
                                       for i in range(30))
    look = profile._bytes_look_like
    assert look(text.encode("big5"), "utf-8") == "big5hkscs"
    assert look(simplified.encode("gb18030"), "utf-8") == "gb18030"
    assert look(text.encode("utf-16-le"), "utf-8") == "utf-16-le"
    assert look(text.encode("utf-8"), "big5hkscs") == "utf-8"
    assert look("Café crème, naïve".encode("cp1252"), "utf-8") == "cp1252"
    assert look(text.encode("utf-8"), "utf-8") is None


def test_init_proposes_image_fields_and_check_reports_them_as_pictures(tmp_path):
    """A column of picture paths (file names that may be personal) and one of picture
    bytes become image_fields, never scanned as text nor dropped; check names them as
    pictures, says nothing of personal data in them, and a missing one is a config error."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests import image_samples as samples
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics/chan-tai-man.jpg").write_bytes(samples.exif_jpeg())
    data = [{**r, "photo": "pics/chan-tai-man.jpg"} for r in rows()]
    prof = profile.profile_source(str(write_jsonl(tmp_path / "calls.jsonl", data)), FakeScanner())
    assert prof.image_fields == ["photo"] and prof.columns["photo"].kind == "image"
    assert "photo" not in prof.text_fields and not prof.columns["photo"].scanned
    text = onboard.manifest_text([("calls", prof)], onboard.Declarations(), dt.date(2026, 1, 1),
                                 1000)
    assert "image_fields: [photo]" in text and "chan-tai-man" not in text
    table = pa.table({"item": ["i1", "i2"], "picture": [samples.drawing(), samples.face_jpeg()]})
    pq.write_table(table, tmp_path / "items.parquet")
    assert profile.profile_source(str(tmp_path / "items.parquet"), None).image_fields == ["picture"]

    root = _project(tmp_path, "{basis: contract}")
    with (root / "sources.yaml").open("a") as f:
        f.write("    image_fields: [photo]\n")
    write_jsonl(root / "calls.jsonl", data)
    result = _check(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "photo hold(s) pictures" in result.stdout and "chan-tai-man" not in result.stdout
    (root / "sources.yaml").write_text((root / "sources.yaml").read_text().replace(
        "image_fields: [photo]", "image_fields: [picture]"))
    missing = _check(root)
    assert missing.returncode == 2 and "'picture' is not in the data" in missing.stdout + missing.stderr
