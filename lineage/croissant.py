"""A Croissant 1.0 JSON-LD description of a certified dataset, with the Responsible-AI
(RAI 1.0) fields, for `mlcroissant validate` and any Croissant loader.

Built from the certificate, run.json and the certified Parquet schema: counts, codes,
hashes and declared metadata, never record values (except the _collected_at and
_retain_until dates, read as a range). Same inputs give the same bytes: no clock, no
environment, keys in a fixed order."""
from __future__ import annotations

import json
import re
from pathlib import Path

from privenance import storage
from privenance.contracts import Certificate, RunRecord
from privenance.plugins import describe_operator

CROISSANT = "http://mlcommons.org/croissant/1.0"
RAI = "http://mlcommons.org/croissant/RAI/1.0"
FILE_SET = "certified-parquet"
RECORD_SET = "records"

# The @context of Croissant 1.0 as mlcroissant writes it (plus the rai prefix). Keys it
# expects and does not find make `mlcroissant validate` warn, so keep it complete.
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

PROVENANCE_DESCRIPTIONS = {
    "_record_id": "Stable keyed id of the record (HMAC-SHA256 of source id and source key); "
                  "reveals nothing about the source key without the pseudonymization key.",
    "_source": "Id of the declared source the record came from (data/sources.yaml).",
    "_licence": "SPDX licence expression of the record.",
    "_licence_use": "Use the licence permits: commercial, non-commercial, academic or unspecified.",
    "_attribution": "Attribution the licence requires for this record.",
    "_consent_basis": "Lawful basis for using the record (e.g. consent, legitimate-interests).",
    "_consent_purposes": "Purposes the data subject consented to.",
    "_consent_ref": "Reference of the consent form or agreement the record was given under.",
    "_collected_at": "Date the record was collected.",
    "_retain_until": "Date after which the record must no longer be used or kept.",
    "_origin": "How the record was authored: human, synthetic, machine-translated or "
               "model-generated (declared by the source or the row; records declared human that "
               "carry a marker of generation the policy names are quarantined).",
    "_language": "Language detected offline from the record's free text: en, zh-Hant "
                 "(Traditional Chinese), zh-Hans (Simplified), yue (Cantonese), zh (script not "
                 "determined), und (undetermined) or another ISO 639-1 code.",
    "_pii_counts": "Personal-data entities found in the record and treated, entity -> count "
                   "(the values themselves are never stored).",
    "_run_id": "Id of the pipeline run that produced the record.",
    "_policy_sha256": "SHA-256 of the policy file the record was processed under.",
}

ORIGINS = {"human": "human-authored"}

# the columns of image records (pipelines/images/, named here: stages share files, not code)
IMAGE_DESCRIPTIONS = {
    "image": "Image: the picture's bytes (Parquet struct {bytes, path}, the Hugging Face "
             "datasets Image convention), decoded and written again with its pixels only "
             "(EXIF, XMP, IPTC, comments, colour profiles and C2PA manifests removed) and "
             "faces treated per the policy; path is image-<sha256 prefix>.<format>, never "
             "the file's own name.",
    "image_credentials": "State of the picture's C2PA manifest when read: none (no manifest; "
                         "this proves nothing), valid, trusted, or invalid (tampered or broken).",
    "image_source_type": "IPTC digital source type the picture's credentials or XMP name "
                         "(e.g. digitalCapture, trainedAlgorithmicMedia), if any.",
    "image_metadata_removed": "Kinds of metadata removed from the picture (e.g. exif_gps, "
                              "exif_serial, xmp); never their values.",
    "image_faces_found": "Faces the offline detector found in the picture.",
    "image_faces_blurred": "Faces pixelated beyond recognition in the written picture.",
    "image_faces_kept_by_consent": "Faces left as they were because the record's consent "
                                   "says the people pictured agreed (consent faces: keep).",
}


def _data_type(arrow_type) -> tuple[str, bool]:
    """Croissant dataType of an Arrow type, and whether the field is repeated (a list)."""
    import pyarrow as pa
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return _data_type(arrow_type.value_type)[0], True
    if pa.types.is_boolean(arrow_type):
        return "sc:Boolean", False
    if pa.types.is_integer(arrow_type):
        return "sc:Integer", False
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "sc:Float", False
    if pa.types.is_date(arrow_type):
        return "sc:Date", False
    if pa.types.is_timestamp(arrow_type):
        return "sc:DateTime", False
    return "sc:Text", False  # strings, and maps/structs read as text by loaders


def _field(arrow_field, description: str) -> dict:
    """A cr:Field reading one Parquet column. A map column (``_pii_counts``) is a repeated
    field of (key, value) pairs, read as two sub-fields."""
    import pyarrow as pa
    fid = f"{RECORD_SET}/{arrow_field.name}"
    source = {"fileSet": {"@id": FILE_SET}, "extract": {"column": arrow_field.name}}
    entry = {"@type": "cr:Field", "@id": fid, "name": arrow_field.name, "description": description}
    if arrow_field.type == pa.struct([("bytes", pa.binary()), ("path", pa.string())]):
        # a picture, read from the struct's bytes (as Hugging Face's Croissant does)
        return {**entry, "dataType": "sc:ImageObject",
                "source": {**source, "transform": {"jsonPath": "bytes"}}}
    if pa.types.is_list(arrow_field.type) and pa.types.is_struct(arrow_field.type.value_type):
        entry["repeated"] = True
        entry["subField"] = [
            {"@type": "cr:Field", "@id": f"{fid}/{part.name}", "name": part.name,
             "description": f"The {part.name} of each item.",
             "dataType": _data_type(part.type)[0],
             "source": {**source, "transform": {"jsonPath": part.name}}}
            for part in arrow_field.type.value_type]
        return entry
    data_type, repeated = _data_type(arrow_field.type)
    entry["dataType"] = data_type
    if repeated:
        entry["repeated"] = True
    entry["source"] = source
    return entry


def _licence(expression: str):
    """A licence as the URL of its SPDX page, or a named CreativeWork for an expression
    (``A OR B``) or a LicenseRef that has no public page."""
    if re.fullmatch(r"[A-Za-z0-9.+-]+", expression) and not expression.startswith("LicenseRef-"):
        return f"https://spdx.org/licenses/{expression}.html"
    return {"@type": "sc:CreativeWork", "name": expression,
            "description": "SPDX licence expression"}


def _semver(as_of: str, run_id: str) -> str:
    """Croissant wants MAJOR.MINOR.PATCH: the certificate's date as the version and the
    run as build metadata (2026-11-25.abfc5747 -> 2026.11.25+abfc5747)."""
    year, month, day = (int(p) for p in as_of.split("-"))
    return f"{year}.{month}.{day}+{run_id[:8]}"


def _column_description(column: str, run: RunRecord) -> str:
    if column in PROVENANCE_DESCRIPTIONS:
        return "Provenance: " + PROVENANCE_DESCRIPTIONS[column]
    pictures = {f for s in run.sources
                for f in (["image"] if s.format == "images" else s.image_fields)}
    described = next((("image" + column[len(f):]) for f in sorted(pictures)
                      if column == f or column.startswith(f + "_")), None)
    if described in IMAGE_DESCRIPTIONS:
        formats = run.images.get("formats") or {}
        return IMAGE_DESCRIPTIONS[described] + (" Encoding formats (all picture columns): "
                                                + ", ".join(f"{media} ({n})" for media, n in
                                                            formats.items()) + "."
                                                if described == "image" and formats else "")
    parts = []
    for s in run.sources:
        if column == s.id_field:
            parts.append(f"the record key of source {s.id}, passed through unchanged")
        elif column in s.text_fields:
            parts.append(f"free text of source {s.id}, personal data found by NER and "
                         "patterns and treated per entity (see personalSensitiveInformation)")
        elif column in s.fields:
            entity = s.fields[column]
            op = run.operators.get(entity, "replace")
            parts.append(f"{entity} column of source {s.id}, every value "
                         f"{describe_operator(op)}")
    if not parts:
        return "Source column kept by the policy's data-minimisation rules, passed through unchanged."
    return "Source column: " + "; ".join(parts) + "."


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.1f} %" if total else "0 %"


def _review_lines(review: dict | None) -> list[str]:
    """What the review sample measured (lineage/review.py), in one sentence."""
    if not review:
        return []
    who = ", ".join(r["name"] for r in review["reviewers"])
    return [f"Measured residual risk: {who} reviewed {review['sample_size']} records drawn at "
            f"random (seed {review['seed']}, stratified by source and language); "
            f"{review['records_with_leaks']} still identified someone, so the share of such "
            f"records is at most {100 * review['upper_bound']:.2f} % at "
            f"{100 * review['confidence']:.0f} % confidence (exact Clopper-Pearson bound; the "
            f"policy allows {100 * review['max_leak_rate']:.2f} %)."]


# --- the parts of the description, each from the certificate and run.json ---------------

def _distribution(cert: Certificate, certified_dir: str | Path, out_dir: str | Path) -> list:
    """The certified Parquet parts, the certificate and the file set, linked from ``out_dir``."""
    rel = lambda p: storage.relative(storage.join(certified_dir, p), out_dir)  # noqa: E731
    distribution = [{
        "@type": "cr:FileObject", "@id": f.path, "name": f.path,
        "description": f"Certified Parquet part ({f.rows} records).",
        "contentUrl": rel(f.path), "contentSize": f"{f.bytes} B",
        "encodingFormat": "application/x-parquet", "sha256": f.sha256,
    } for f in cert.output.files]
    from lineage.certificate import certificate_location
    cert_path = certificate_location(certified_dir)
    cert_name = storage.name_of(cert_path)
    distribution.append({
        "@type": "cr:FileObject", "@id": cert_name, "name": cert_name,
        "description": "Ed25519-signed certificate: input and output hashes and row counts, "
                       "quarantine reasons, PII counts, licences, validation results, approvals. "
                       "Check with `privenance verify`.",
        "contentUrl": rel(cert_name), "encodingFormat": "application/json",
        "sha256": storage.sha256(cert_path),
    })
    distribution.append({
        "@type": "cr:FileSet", "@id": FILE_SET, "name": FILE_SET,
        "description": "All certified Parquet parts (the files above); together they hold "
                       "the dataset's records.",
        "encodingFormat": "application/x-parquet", "includes": rel("*.parquet"),
    })
    return distribution


def _fields(run: RunRecord, cert: Certificate, certified_dir: str | Path) -> list[dict]:
    """A cr:Field per column of the certified schema (every part has the same schema)."""
    files = cert.output.files
    if not files:
        return []
    schema = storage.read_parquet_schema(storage.join(certified_dir, files[0].path))
    return [_field(f, _column_description(f.name, run)) for f in schema]


def _dates(cert: Certificate, certified_dir: str | Path) -> tuple[list[str], object]:
    """The collection timeframe and the earliest retention date: two date columns only
    (on an object store only those columns are fetched)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    files = cert.output.files
    if not files:
        return [], None
    dates = pa.concat_tables(
        storage.read_parquet(storage.join(certified_dir, f.path),
                             columns=["_collected_at", "_retain_until"]) for f in files)
    collected = [d.isoformat() for d in (pc.min(dates["_collected_at"]).as_py(),
                                         pc.max(dates["_collected_at"]).as_py()) if d]
    return collected, pc.min(dates["_retain_until"]).as_py()


def _pii_lines(cert: Certificate) -> list[str]:
    return [f"{entity}: {n} occurrence(s) found and {describe_operator(op)} ({op})"
            for entity, ops in sorted(cert.pii.items()) for op, n in sorted(ops.items())]


def _written(run: RunRecord) -> dict[str, int]:
    """Records written per source."""
    return {sid: c.written for sid, c in sorted(run.counts.items())}


def _use(cert: Certificate) -> str:
    return "commercial" if cert.policy.purpose.commercial else "non-commercial"


def _description(name: str, run: RunRecord, cert: Certificate) -> str:
    policy, written = cert.policy, _written(run)
    return (f"Certified training dataset '{name}', certificate version {cert.version}: "
            f"{cert.output.rows} anonymized records from "
            f"{sum(1 for n in written.values() if n)} source(s), "
            f"processed by privenance under policy '{policy.name}' "
            f"(sector {policy.sector}) for the purpose '{policy.purpose.name}' ({_use(cert)}). "
            "Every record carries its licence, consent and provenance in underscore columns.")


def _cite_as(name: str, cert: Certificate) -> str:
    key = f"{re.sub(r'[^A-Za-z0-9]+', '_', name)}_{cert.version.replace('-', '').replace('.', '_')}"
    return (f"@misc{{{key},\n"
            f"  title = {{{name} (certified version {cert.version})}},\n"
            f"  year = {{{cert.as_of[:4]}}},\n"
            f"  note = {{Contains material from: "
            f"{'; '.join(cert.attribution_obligations) or 'no attribution required'}}}\n}}")


def _credit_text(cert: Certificate) -> str | None:
    if not cert.attribution_obligations:
        return None
    return "Contains material from " + "; ".join(
        f"{'; '.join(lic.attributions)} ({lic.licence})"
        for lic in cert.licences if lic.requires_attribution)


def _collection(run: RunRecord) -> str:
    return ("Records were read from declared sources, each with its licence, consent and "
            "retention: " + "; ".join(
                f"{s.id} ({s.format}, origin {s.origin}, licence "
                f"{s.licence or 'per record'}, lawful basis "
                f"{(s.consent or {}).get('basis') or 'none'}): {run.counts[s.id].read} "
                f"read, {run.counts[s.id].written} kept" for s in run.sources)
            + f". Processed on {run.as_of} by run {run.run_id}.")


def _reasons_text(reasons: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none"


def _tdm_line(run: RunRecord, reasons: dict) -> str:
    tdm = run.tdm_opt_outs or {"total": reasons.get("TDM_OPT_OUT", 0), "by_basis": {}}
    bases = (" (" + ", ".join(f"{b} {n}" for b, n in tdm["by_basis"].items()) + ")"
             if tdm["by_basis"] else "")
    return (f"Text-and-data-mining opt-outs: {tdm['total']} record(s) excluded whose rights "
            f"holder reserved text-and-data mining{bases}.")


def _preprocessing(run: RunRecord, cert: Certificate) -> list[str]:
    reasons = cert.quarantine["reasons"]
    return [
        "Provenance tagging: every record gets a keyed record id and its source, licence, "
        "attribution, consent, collection and retention columns.",
        "Policy gates: records with a missing, invalid or disallowed licence, no consent for "
        "the purpose, an expired retention date, a withdrawn consent or an erased subject are "
        "quarantined with a reason code (no values copied): " + _reasons_text(reasons) + ".",
        "Anonymization with Microsoft Presidio (spaCy NER, pattern and Hong Kong recognizers): "
        + ("; ".join(_pii_lines(cert)) or "no personal data found") + ".",
        "Residual scan: the anonymized text is scanned again; records with identifiers "
        "left are quarantined (RESIDUAL_PII) or flagged, as the policy says: "
        f"{reasons.get('RESIDUAL_PII', 0)} quarantined.",
        "Data minimisation: only the columns the policy allows are kept.",
        _tdm_line(run, reasons),
        "Validation with Great Expectations, one suite per Data Protection Principle plus "
        "licence and k-anonymity: " + (", ".join(
            f"{suite} {'pass' if ok else 'fail'}" for suite, ok in sorted(cert.validation.items()))
            or "not run") + ".",
    ]


def _groups(run: RunRecord, attribute: str) -> dict:
    """The run's representation counts of one attribute (_origin, _language), by value."""
    return dict(sorted(((run.representation.get("groups") or {}).get(attribute, {})).items()))


def _manipulation(run: RunRecord) -> str:
    origins = {o: c["written"] for o, c in _groups(run, "_origin").items() if c["written"]}
    return ("Personal data is transformed in place in the same columns; privenance imputes, "
            "augments or generates no records. Records by origin, as labelled per record in "
            "_origin: " + (", ".join(f"{o} {n}" for o, n in origins.items()) or "not counted")
            + ".")


def _limitations(run: RunRecord, cert: Certificate, earliest_expiry) -> list[str]:
    read, quarantined, rows = run.totals.read, run.totals.quarantined, cert.output.rows
    return ([
        "Anonymization is automatic: identifiers the recognizers miss (nicknames, misspelt "
        "names, unusual formats) can remain in free-text columns.",
    ] + _review_lines(cert.review) + [
        f"{quarantined} of {read} records read ({_pct(quarantined, read)}) were quarantined; "
        "sources are represented unevenly: " + ", ".join(
            f"{sid} {n} of {rows} ({_pct(n, rows)})" for sid, n in _written(run).items()) + ".",
    ] + [f"{lic.rows} records under {lic.licence} are share-alike: derived datasets "
         "must use the same terms." for lic in cert.licences if lic.share_alike]
      + ([f"Retention: the earliest _retain_until date is {earliest_expiry.isoformat()}; "
          "records past it must be removed."] if earliest_expiry else []))


def _biases(run: RunRecord, cert: Certificate) -> list[str]:
    rows, languages = cert.output.rows, _groups(run, "_language")
    surrogates = any("surrogate" in ops for ops in cert.pii.values())
    return [
        "Composition follows the sources that passed the policy gates, not a designed "
        "sample: " + ", ".join(f"{sid} {_pct(n, rows)}" for sid, n in _written(run).items()) + ".",
    ] + ([
        "Languages detected per record (_language), share of the dataset and share the "
        "gates removed: " + ", ".join(
            f"{lang} {_pct(c['written'], rows)} (removed {_pct(c['quarantined'], c['read'])})"
            for lang, c in languages.items()) + "."] if languages else []) + [
        "Person names are replaced by surrogates drawn from fixed name lists, which changes "
        "the distribution of names in the text."
        if surrogates else
        "Replaced identifiers are uniform tags or tokens, so models learn nothing from them.",
    ]


def _sensitive(cert: Certificate) -> list[str]:
    lines = _pii_lines(cert)
    if not lines:
        return ["No personal data was detected."]
    return lines + ["Counted per record in the _pii_counts column; the values found are "
                    "never stored."]


def build(name: str, run: RunRecord | dict, cert: Certificate | dict,
          certified_dir: str | Path, out_dir: str | Path) -> dict:
    """The Croissant JSON-LD (a dict) of the certified dataset in ``certified_dir``;
    file paths are relative to ``out_dir``, where the JSON-LD is published (folders or
    URIs). The keys keep their order: the file is written as built."""
    run, cert = RunRecord.of(run), Certificate.of(cert)
    collected, earliest_expiry = _dates(cert, certified_dir)
    policy = cert.policy
    meta = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": name,
        "description": _description(name, run, cert),
        "conformsTo": [CROISSANT, RAI],
        "citeAs": _cite_as(name, cert),
        "creator": [{"@type": "sc:Organization", "name": a} for a in cert.attribution_obligations],
        "creditText": _credit_text(cert),
        "datePublished": cert.as_of,
        "version": _semver(cert.as_of, cert.run_id),
        "license": [_licence(lic.licence) for lic in cert.licences],
        "keywords": ["privenance", "anonymized", "provenance", f"policy:{policy.name}",
                     f"sector:{policy.sector}"],
        "isLiveDataset": False,
        # Responsible-AI extension (http://mlcommons.org/croissant/RAI/1.0)
        "rai:dataCollection": _collection(run),
        # records reused from existing sources; their origin says who authored them
        "rai:dataCollectionType": ["Secondary Data analysis"] + sorted(
            {f"Others: {ORIGINS.get(s.origin, s.origin)} records" for s in run.sources}),
        "rai:dataCollectionRawData": "Raw inputs, identified by SHA-256 in the certificate: " + "; ".join(
            f"{i.path} ({i.source}, {i.rows} rows, sha256 {i.sha256})" for i in cert.inputs),
        "rai:dataCollectionMissingData": (
            f"{run.totals.quarantined} of {run.totals.read} records read were quarantined and "
            "are not in the dataset: " + _reasons_text(cert.quarantine["reasons"])
            + ". A source column absent from a record is null."),
        "rai:dataCollectionTimeframe": collected,
        "rai:dataPreprocessingProtocol": _preprocessing(run, cert),
        "rai:dataManipulationProtocol": _manipulation(run),
        "rai:machineAnnotationTools": [
            "Microsoft Presidio analyzer and anonymizer",
            "spaCy en_core_web_sm named-entity recognizer",
            "privenance recognizers (HKID, Hong Kong phone numbers and addresses, Chinese names)",
        ],
        "rai:personalSensitiveInformation": _sensitive(cert),
        "rai:dataUseCases": [
            f"Intended purpose: {policy.purpose.name} ({_use(cert)}), as declared by policy "
            f"'{policy.name}'.",
            "Records may be used only for the purposes their consent covers (_consent_purposes) "
            "and until their _retain_until date.",
        ],
        "rai:dataLimitations": _limitations(run, cert, earliest_expiry),
        "rai:dataBiases": _biases(run, cert),
        "rai:dataSocialImpact": (
            "The records were written by or about people. Direct identifiers are removed or "
            "pseudonymized, and data subjects can ask for access, erasure or consent withdrawal "
            f"({len(cert.requests_served)} request(s) honoured in this version); a model "
            "trained on it may still memorize identifiers that detection missed."),
        "rai:dataReleaseMaintenancePlan": (
            "Each version is reproduced with DVC from the declared sources, the policy and the "
            "data-subject requests, and named <as-of date>.<run id>; a new version is certified "
            "when any of them changes (erasures and withdrawals take effect in the next version). "
            "Each version's certificate is signed with Ed25519; `privenance pull` and "
            "`privenance verify` refuse files whose hashes or signature do not match."),
        "distribution": _distribution(cert, certified_dir, out_dir),
        "recordSet": [{
            "@type": "cr:RecordSet", "@id": RECORD_SET, "name": RECORD_SET,
            "description": f"The {cert.output.rows} certified records, one per source record kept.",
            "key": {"@id": f"{RECORD_SET}/_record_id"},
            "field": _fields(run, cert, certified_dir),
        }],
    }
    return {k: v for k, v in meta.items() if v not in (None, [], "")}


def write_croissant(path: Path, name: str, run: RunRecord | dict, cert: Certificate | dict | None,
                    certified_dir: str | Path, published: str | None = None) -> Path | None:
    """Write ``path`` (croissant.json) for a certified dataset; remove a stale one and
    return None when this run has no certificate. ``published``: the folder or URI the
    file will be copied to (default: where it is written), which its links start from."""
    if cert is None:
        path.unlink(missing_ok=True)
        return None
    doc = build(name, run, cert, certified_dir, published or path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
