"""An SPDX 3.0.1 document of a certified dataset (JSON-LD, Dataset and AI profiles), for
tools and registries that read SPDX rather than privenance's certificate.

Built at certification from the certificate's body and run.json: the dataset package with
its type, intended use, licences, whether it holds sensitive personal information, the
anonymization methods applied (the policy's operators, with counts), its confidentiality
level, how it was collected and preprocessed, and known biases (the representation counts:
how unevenly each group's records were quarantined). Its files are listed with their
sha256. The certificate lists the document's own hash, so the signature covers it.
Counts, codes and declared metadata only: never a record value. Same certificate, same bytes.
"""
from __future__ import annotations

import json

from privenance.contracts import Certificate, RunRecord
from privenance.plugins import describe_operator

SPDX_FILE = ".spdx.json"
CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
# a group whose share of records quarantined differs from another's by this much is named
# as a known bias (the representation suite's default threshold)
BIAS_GAP = 0.2


def _ids(cert: Certificate):
    base = f"urn:privenance:{cert.dataset}:{cert.version}"
    return base, (lambda kind, n="": f"{base}:{kind}{n}")


def _biases(run: RunRecord) -> list[str]:
    drops = run.representation.get("drop_rates") or {}
    return [f"records with {attribute} = {d['lowest']} were kept more often than those with "
            f"{attribute} = {d['highest']}: quarantined shares differ by {d['gap']:.0%}"
            for attribute, d in sorted(drops.items()) if d.get("gap", 0) >= BIAS_GAP]


def _methods(cert: Certificate) -> list[str]:
    """The anonymization applied, per entity and operator, with counts."""
    return [f"{entity}: {n} found and {describe_operator(op)} ({op})"
            for entity, ops in sorted(cert.pii.items()) for op, n in sorted(ops.items())]


def _collection(run: RunRecord) -> str:
    """How each source was collected: format, origin, licence, lawful basis, counts."""
    return "; ".join(
        f"{s.id}: {s.format} source, origin {s.origin}, licence "
        f"{s.licence or 'per record'}, lawful basis "
        f"{(s.consent or {}).get('basis') or 'none'}, "
        f"{run.counts[s.id].read} records read, "
        f"{run.counts[s.id].written} kept" for s in run.sources)


def _preprocessing(cert: Certificate) -> list[str]:
    reasons = cert.quarantine["reasons"]
    return ["provenance tagging: keyed record id, source, licence, consent, retention",
            "policy gates quarantined " + (", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
                                           or "nothing"),
            "anonymization of free text and declared columns by the policy's operators",
            "residual scan of every string column written",
            "validation: " + ", ".join(f"{s} {'passed' if ok else 'failed'}"
                                       for s, ok in sorted(cert.validation.items()))]


def _dataset_package(cert: Certificate, run: RunRecord, ids: dict,
                     confidentiality: str) -> dict:
    purpose, policy = cert.policy.purpose, cert.policy
    use = "commercial" if purpose.commercial else "non-commercial"
    methods = _methods(cert)
    kinds = (["text"] if any(s.text_fields for s in run.sources) else []) \
        + (["structured"] if any(s.fields for s in run.sources) else [])
    return {"type": "dataset_DatasetPackage", "spdxId": ids["dataset"],
            "creationInfo": ids["info"],
            "name": cert.dataset, "software_packageVersion": cert.version,
            "software_primaryPurpose": "data", "builtTime": f"{cert.as_of}T00:00:00Z",
            "dataset_datasetType": kinds or ["noAssertion"],
            "dataset_intendedUse": f"{purpose.name} ({use}), under policy "
                                   f"'{policy.name}' (sector {policy.sector})",
            "dataset_datasetSize": sum(f.bytes for f in cert.output.files),
            # detection is statistical: treated personal data may still be there
            "dataset_hasSensitivePersonalInformation": "yes" if methods else "noAssertion",
            "dataset_anonymizationMethodUsed": methods,
            "dataset_confidentialityLevel": confidentiality,
            "dataset_dataCollectionProcess": _collection(run),
            "dataset_dataPreprocessing": _preprocessing(cert),
            "dataset_knownBias": _biases(run)}


def build(cert: Certificate | dict, run: RunRecord | dict, confidentiality: str = "amber") -> dict:
    """The SPDX 3.0.1 JSON-LD document of ``cert`` (its body; the signature is not needed),
    at the policy's confidentiality level (clear, green, amber or red, as in TLP)."""
    cert, run = Certificate.of(cert), RunRecord.of(run)
    base, eid = _ids(cert)
    info = "_:creationinfo"
    agent = eid("agent")
    dataset = eid("dataset")
    files = cert.output.files
    graph = [
        {"type": "CreationInfo", "@id": info, "specVersion": "3.0.1",
         "created": f"{cert.as_of}T00:00:00Z", "createdBy": [agent]},
        {"type": "SoftwareAgent", "spdxId": agent, "creationInfo": info,
         "name": f"privenance {cert.code_version}"},
        _dataset_package(cert, run, {"dataset": dataset, "info": info}, confidentiality),
    ]
    relationships = []
    for n, f in enumerate(files):
        graph.append({"type": "software_File", "spdxId": eid("file", n), "creationInfo": info,
                      "name": f.path, "software_primaryPurpose": "data",
                      "verifiedUsing": [{"type": "Hash", "algorithm": "sha256",
                                         "hashValue": f.sha256}]})
    if files:
        relationships.append(("contains", [eid("file", n) for n in range(len(files))]))
    licences = [lic.licence for lic in cert.licences]
    for n, licence in enumerate(licences):
        graph.append({"type": "simplelicensing_LicenseExpression", "spdxId": eid("licence", n),
                      "creationInfo": info, "simplelicensing_licenseExpression": licence})
    if licences:
        relationships.append(("hasDeclaredLicense",
                              [eid("licence", n) for n in range(len(licences))]))
    for n, (kind, to) in enumerate(relationships):
        graph.append({"type": "Relationship", "spdxId": eid("relationship", n),
                      "creationInfo": info, "from": dataset, "relationshipType": kind, "to": to})
    graph.append({"type": "SpdxDocument", "spdxId": base, "creationInfo": info,
                  "name": f"{cert.dataset} {cert.version}",
                  "profileConformance": ["core", "software", "simpleLicensing", "dataset", "ai"],
                  "rootElement": [dataset],
                  "element": [e["spdxId"] for e in graph if "spdxId" in e]})
    return {"@context": CONTEXT, "@graph": graph}


def dumps(doc: dict) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
