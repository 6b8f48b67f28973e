"""The standard documents of a certified version, checked by implementations that are not
privenance's: the in-toto attestation's DSSE signature and subjects (securesystemslib,
against the files on disk) and the SPDX 3 dataset document (the SPDX model's own Python
bindings, which refuse unknown properties, wrong types and missing required ones)."""
from __future__ import annotations

import io
import json

import pytest

from tests.helpers import TEST_SIGNING_HEX, passing_validation, privenance

pytestmark = pytest.mark.integration


@pytest.fixture
def certified(workspace_after_run):
    workspace = workspace_after_run
    passing_validation(workspace / "data/staged", workspace / "data/validation",
                       workspace / "policies/default.yaml")
    privenance("certify", "--name", "demo", cwd=workspace)
    return workspace / "data/certified/demo"


def test_attestation_and_spdx_check_out_with_independent_tools(certified):
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey
    from spdx_python_model import v3_0_1 as spdx

    from lineage.attestation import ATTESTATION_FILE, keyid
    from lineage.certificate import public_key_hex
    from privenance.files import file_sha256
    from privenance.keys import Secret
    public = public_key_hex(Secret(bytes.fromhex(TEST_SIGNING_HEX), "test"))
    env = Envelope.from_dict(json.loads((certified / ATTESTATION_FILE).read_text()))
    env.verify([SSlibKey(keyid(public), "ed25519", "ed25519", {"public": public})], 1)
    subjects = json.loads(env.payload)["subject"]
    parts = sorted(p.name for p in certified.glob("*.parquet"))
    assert sorted(s["name"] for s in subjects) == parts
    assert all(file_sha256(certified / s["name"]) == s["digest"]["sha256"] for s in subjects)

    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.StringIO((certified / ".spdx.json").read_text()), objects)
    spdx.JSONLDSerializer().write(objects, io.BytesIO())  # raises on a missing required field
    [dataset] = [o for o in objects.objects if isinstance(o, spdx.dataset_DatasetPackage)]
    assert dataset.dataset_hasSensitivePersonalInformation.endswith("/yes")
    assert any("(hash)" in m for m in dataset.dataset_anonymizationMethodUsed)
    assert dataset.dataset_confidentialityLevel.endswith("/amber")
    assert dataset.dataset_intendedUse.startswith("model-training")
    assert {t.rsplit("/", 1)[1] for t in dataset.dataset_datasetType} == {"text", "structured"}
    licences = {o.simplelicensing_licenseExpression for o in objects.objects
                if isinstance(o, spdx.simplelicensing_LicenseExpression)}
    assert "CC-BY-4.0" in licences
    hashes = {h.hashValue for o in objects.objects if isinstance(o, spdx.software_File)
              for h in o.verifiedUsing}
    assert hashes == {file_sha256(certified / p) for p in parts}


def test_verify_covers_the_spdx_document_and_takes_the_attestation_alone(certified, workspace_after_run):
    workspace = workspace_after_run
    (certified / ".certificate.json").unlink()  # the attestation alone is enough
    assert "OK: demo" in privenance("verify", "data/certified/demo", cwd=workspace).stdout
    spdx = certified / ".spdx.json"
    spdx.write_text(spdx.read_text().replace('"amber"', '"clear"'))
    refused = privenance("verify", "data/certified/demo", cwd=workspace, check=False)
    assert refused.returncode == 3 and "hash mismatch: .spdx.json" in refused.stderr


def test_training_summary_has_the_templates_three_sections_and_refuses_a_tampered_version(
        certified, workspace_after_run):
    workspace = workspace_after_run
    made = privenance("training-summary", "data/certified/demo", "--model", "acme-chat-1.2",
                      "--provider", "Acme Ltd", "--out", "data/reports/summary", cwd=workspace)
    assert made.returncode == 0
    summary = json.loads((workspace / "data/reports/summary.json").read_text())
    assert [k for k in summary if k != "template"] == [
        "1. General information", "2. List of data sources", "3. Relevant data processing aspects"]
    sources = summary["2. List of data sources"]
    listed = {s["name"]: s for kind in ("2.1 Publicly available datasets",
                                        "2.2 Private non-publicly available datasets "
                                        "(licensed or own data)") for s in sources[kind]}
    cert = json.loads((certified / ".certificate.json").read_text())
    assert sum(s["records"] for s in listed.values()) == cert["output"]["rows"]
    tdm = summary["3. Relevant data processing aspects"][
        "3.1 Respect of reservation of rights from the text and data mining exception"]
    assert tdm["records excluded"] == cert["tdm_opt_outs"]["total"]
    markdown = (workspace / "data/reports/summary.md").read_text()
    assert "## 2. List of data sources" in markdown and "### 3.1 Respect" in markdown
    next(certified.glob("*.parquet")).write_bytes(b"not the certified rows")
    refused = privenance("training-summary", "data/certified/demo", "--model", "m",
                         "--provider", "p", cwd=workspace, check=False)
    assert refused.returncode == 3 and "hash mismatch" in refused.stderr


@pytest.mark.parametrize("tokens, band", [(10, "Less than 1 billion tokens"),
                                          (2 * 10 ** 9, "1 billion to 10 trillion tokens"),
                                          (2 * 10 ** 13, "More than 10 trillion tokens")])
def test_size_bands(tokens, band):
    from lineage.training_summary import _size_range
    assert _size_range(tokens) == band


def _run_under(workspace, risk: str):
    policy = workspace / "policies/tiered.yaml"
    policy.write_text(f"name: tiered\nextends: default.yaml\nrisk: {risk}\n")
    privenance("run", "--policy", "policies/tiered.yaml", "--as-of", "2026-11-25", cwd=workspace)
    passing_validation(workspace / "data/staged", workspace / "data/validation", policy)


def test_certificate_carries_hong_kong_governance_and_unacceptable_is_refused(workspace):
    sources = workspace / "data/sources.yaml"
    sources.write_text(sources.read_text().replace(
        "    origin: human\n",
        "    origin: human\n    collection_statement: {reference: PICS-2024-03, version: '2'}\n"
        "    region: SG\n    transfer_mechanism: pcpd-model-clauses\n", 1))
    _run_under(workspace, "{tier: unacceptable}")
    refused = privenance("certify", "--name", "demo", cwd=workspace, check=False)
    assert refused.returncode == 1 and "risk tier as unacceptable" in refused.stderr
    assert not (workspace / "data/certified/demo").exists()
    _run_under(workspace, "{tier: limited, human_oversight: human-on-the-loop}")
    privenance("certify", "--name", "demo", cwd=workspace)
    cert = json.loads((workspace / "data/certified/demo/.certificate.json").read_text())
    gov = cert["governance"]
    assert (gov["risk_tier"], gov["human_oversight"]) == ("limited", "human-on-the-loop")
    assert gov["sources"]["support-tickets"] == {
        "region": "SG", "transfer_mechanism": "pcpd-model-clauses",
        "collection_statement": {"reference": "PICS-2024-03", "version": "2"}}


def test_encrypted_column_unreadable_without_the_key(workspace, monkeypatch):
    import pyarrow.parquet as pq

    from lineage.pull import _concat
    from privenance.errors import ConfigError
    policy = workspace / "policies/encrypting.yaml"
    policy.write_text("name: encrypting\nextends: default.yaml\n"
                      "encryption: {columns: [customer_email]}\n")
    run = ("run", "--policy", "policies/encrypting.yaml", "--as-of", "2026-11-25")
    refused = privenance(*run, cwd=workspace, check=False)
    assert refused.returncode == 2 and "PRIVENANCE_PARQUET_KEY" in refused.stderr
    key = {"PRIVENANCE_PARQUET_KEY": "5a" * 32}
    privenance(*run, cwd=workspace, env=key)
    staged = sorted((workspace / "data/staged/dataset").glob("*.parquet"))
    with pytest.raises(OSError, match="decrypt"):
        pq.read_table(staged[0])                                  # plain pyarrow, staged
    # validate reads it with the key (the residual scan sees the decrypted column)
    validated = privenance("validate", cwd=workspace, env=key, check=False)
    assert "dpp4" in validated.stdout and "Traceback" not in validated.stderr
    passing_validation(workspace / "data/staged", workspace / "data/validation", policy)
    privenance("certify", "--name", "demo", cwd=workspace)       # copies: no key needed
    privenance("verify", "data/certified/demo", cwd=workspace)
    certified = workspace / "data/certified/demo"
    parts = sorted(certified.glob("*.parquet"))
    with pytest.raises(OSError, match="decrypt"):
        pq.read_table(parts[0])                                   # plain pyarrow, certified
    other = [c for c in pq.ParquetFile(parts[0]).schema_arrow.names if c != "customer_email"]
    assert pq.read_table(parts[0], columns=other).num_rows > 0    # the rest stays readable
    cert = json.loads((certified / ".certificate.json").read_text())
    assert cert["encryption"]["columns"] == ["customer_email"]
    monkeypatch.setenv("PRIVENANCE_PARQUET_KEY", key["PRIVENANCE_PARQUET_KEY"])
    values = _concat(parts, cert["encryption"])["customer_email"].to_pylist()
    assert any(values)
    monkeypatch.setenv("PRIVENANCE_PARQUET_KEY", "6b" * 32)
    with pytest.raises(ConfigError, match="not the key"):
        _concat(parts, cert["encryption"])
    for value in filter(None, values):  # no value in clear in the written bytes
        assert not any(value.encode() in p.read_bytes() for p in parts + staged)
