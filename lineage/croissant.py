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


def _column_description(column: str, run: dict) -> str:
    if column in PROVENANCE_DESCRIPTIONS:
        return "Provenance: " + PROVENANCE_DESCRIPTIONS[column]
    pictures = {f for s in run["sources"]
                for f in (["image"] if s["format"] == "images" else s.get("image_fields", []))}
    described = next((("image" + column[len(f):]) for f in sorted(pictures)
                      if column == f or column.startswith(f + "_")), None)
    if described in IMAGE_DESCRIPTIONS:
        formats = (run.get("images") or {}).get("formats") or {}
        return IMAGE_DESCRIPTIONS[described] + (" Encoding formats (all picture columns): "
                                                + ", ".join(f"{media} ({n})" for media, n in
                                                            formats.items()) + "."
                                                if described == "image" and formats else "")
    parts = []
    for s in run["sources"]:
        if column == s["id_field"]:
            parts.append(f"the record key of source {s['id']}, passed through unchanged")
        elif column in s["text_fields"]:
            parts.append(f"free text of source {s['id']}, personal data found by NER and "
                         "patterns and treated per entity (see personalSensitiveInformation)")
        elif column in s["fields"]:
            entity = s["fields"][column]
            op = run["operators"].get(entity, "replace")
            parts.append(f"{entity} column of source {s['id']}, every value "
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


def build(name: str, run: dict, cert: dict, certified_dir: str | Path,
          out_dir: str | Path) -> dict:
    """The Croissant JSON-LD (a dict) of the certified dataset in ``certified_dir``;
    file paths are relative to ``out_dir``, where the JSON-LD is published (folders or
    URIs)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    files = cert["output"]["files"]
    part = lambda p: storage.join(certified_dir, p)  # noqa: E731
    # every part is written with the same Arrow schema
    schema = storage.read_parquet_schema(part(files[0]["path"])) if files else None
    # the collection timeframe and the earliest retention date: two date columns only
    # (on an object store only those columns are fetched)
    dates = pa.concat_tables(
        storage.read_parquet(part(f["path"]), columns=["_collected_at", "_retain_until"])
        for f in files) if files else None
    rel = lambda p: storage.relative(part(p), out_dir)  # noqa: E731
    rows = cert["output"]["rows"]
    read, quarantined = run["totals"]["read"], run["totals"]["quarantined"]
    purpose = cert["policy"]["purpose"]
    use = "commercial" if purpose["commercial"] else "non-commercial"
    written = {sid: c["written"] for sid, c in sorted(run["counts"].items())}

    distribution = [{
        "@type": "cr:FileObject", "@id": f["path"], "name": f["path"],
        "description": f"Certified Parquet part ({f['rows']} records).",
        "contentUrl": rel(f["path"]), "contentSize": f"{f['bytes']} B",
        "encodingFormat": "application/x-parquet", "sha256": f["sha256"],
    } for f in files]
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

    fields = [_field(f, _column_description(f.name, run)) for f in (schema or [])]

    pii = cert["pii"]
    pii_lines = [f"{entity}: {n} occurrence(s) found and {describe_operator(op)} ({op})"
                 for entity, ops in sorted(pii.items()) for op, n in sorted(ops.items())]
    collected = ([d.isoformat() for d in (pc.min(dates["_collected_at"]).as_py(),
                                          pc.max(dates["_collected_at"]).as_py()) if d]
                 if dates is not None else [])
    earliest_expiry = pc.min(dates["_retain_until"]).as_py() if dates is not None else None
    sources = run["sources"]
    licences = cert["licences"]
    attributions = cert["attribution_obligations"]
    reasons = cert["quarantine"]["reasons"]
    validation = cert.get("validation", {})
    tdm = run.get("tdm_opt_outs") or {"total": reasons.get("TDM_OPT_OUT", 0), "by_basis": {}}
    groups = (run.get("representation") or {}).get("groups") or {}
    origins = {o: c["written"] for o, c in sorted(groups.get("_origin", {}).items()) if c["written"]}
    languages = dict(sorted(groups.get("_language", {}).items()))

    meta = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": name,
        "description": (
            f"Certified training dataset '{name}', certificate version {cert['version']}: "
            f"{rows} anonymized records from {sum(1 for n in written.values() if n)} source(s), "
            f"processed by privenance under policy '{cert['policy']['name']}' "
            f"(sector {cert['policy']['sector']}) for the purpose '{purpose['name']}' ({use}). "
            "Every record carries its licence, consent and provenance in underscore columns."),
        "conformsTo": [CROISSANT, RAI],
        "citeAs": (f"@misc{{{re.sub(r'[^A-Za-z0-9]+', '_', name)}_{cert['version'].replace('-', '').replace('.', '_')},\n"
                   f"  title = {{{name} (certified version {cert['version']})}},\n"
                   f"  year = {{{cert['as_of'][:4]}}},\n"
                   f"  note = {{Contains material from: {'; '.join(attributions) or 'no attribution required'}}}\n}}"),
        "creator": [{"@type": "sc:Organization", "name": a} for a in attributions],
        "creditText": "Contains material from " + "; ".join(
            f"{'; '.join(lic['attributions'])} ({lic['licence']})"
            for lic in licences if lic["requires_attribution"]) if attributions else None,
        "datePublished": cert["as_of"],
        "version": _semver(cert["as_of"], cert["run_id"]),
        "license": [_licence(lic["licence"]) for lic in licences],
        "keywords": ["privenance", "anonymized", "provenance", f"policy:{cert['policy']['name']}",
                     f"sector:{cert['policy']['sector']}"],
        "isLiveDataset": False,
        # Responsible-AI extension (http://mlcommons.org/croissant/RAI/1.0)
        "rai:dataCollection": (
            "Records were read from declared sources, each with its licence, consent and "
            "retention: " + "; ".join(
                f"{s['id']} ({s['format']}, origin {s['origin']}, licence "
                f"{s['licence'] or 'per record'}, lawful basis "
                f"{(s.get('consent') or {}).get('basis') or 'none'}): {run['counts'][s['id']]['read']} "
                f"read, {run['counts'][s['id']]['written']} kept" for s in sources)
            + f". Processed on {run['as_of']} by run {run['run_id']}."),
        # records reused from existing sources; their origin says who authored them
        "rai:dataCollectionType": ["Secondary Data analysis"] + sorted(
            {f"Others: {ORIGINS.get(s['origin'], s['origin'])} records" for s in sources}),
        "rai:dataCollectionRawData": "Raw inputs, identified by SHA-256 in the certificate: " + "; ".join(
            f"{i['path']} ({i['source']}, {i['rows']} rows, sha256 {i['sha256']})" for i in cert["inputs"]),
        "rai:dataCollectionMissingData": (
            f"{quarantined} of {read} records read were quarantined and are not in the dataset: "
            + (", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none")
            + ". A source column absent from a record is null."),
        "rai:dataCollectionTimeframe": collected,
        "rai:dataPreprocessingProtocol": [
            "Provenance tagging: every record gets a keyed record id and its source, licence, "
            "attribution, consent, collection and retention columns.",
            "Policy gates: records with a missing, invalid or disallowed licence, no consent for "
            "the purpose, an expired retention date, a withdrawn consent or an erased subject are "
            "quarantined with a reason code (no values copied): "
            + (", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none") + ".",
            "Anonymization with Microsoft Presidio (spaCy NER, pattern and Hong Kong recognizers): "
            + ("; ".join(pii_lines) or "no personal data found") + ".",
            "Residual scan: the anonymized text is scanned again; records with identifiers "
            "left are quarantined (RESIDUAL_PII) or flagged, as the policy says: "
            f"{reasons.get('RESIDUAL_PII', 0)} quarantined.",
            "Data minimisation: only the columns the policy allows are kept.",
            f"Text-and-data-mining opt-outs: {tdm['total']} record(s) excluded whose rights "
            "holder reserved text-and-data mining" + (" (" + ", ".join(
                f"{b} {n}" for b, n in tdm["by_basis"].items()) + ")" if tdm["by_basis"] else "")
            + ".",
            "Validation with Great Expectations, one suite per Data Protection Principle plus "
            "licence and k-anonymity: " + (", ".join(
                f"{suite} {'pass' if ok else 'fail'}" for suite, ok in sorted(validation.items()))
                or "not run") + ".",
        ],
        "rai:dataManipulationProtocol": (
            "Personal data is transformed in place in the same columns; privenance imputes, "
            "augments or generates no records. Records by origin, as labelled per record in "
            "_origin: " + (", ".join(f"{o} {n}" for o, n in origins.items()) or "not counted")
            + "."),
        "rai:machineAnnotationTools": [
            "Microsoft Presidio analyzer and anonymizer",
            "spaCy en_core_web_sm named-entity recognizer",
            "privenance recognizers (HKID, Hong Kong phone numbers and addresses, Chinese names)",
        ],
        "rai:personalSensitiveInformation": (
            pii_lines + ["Counted per record in the _pii_counts column; the values found are "
                         "never stored."]
            if pii_lines else ["No personal data was detected."]),
        "rai:dataUseCases": [
            f"Intended purpose: {purpose['name']} ({use}), as declared by policy "
            f"'{cert['policy']['name']}'.",
            "Records may be used only for the purposes their consent covers (_consent_purposes) "
            "and until their _retain_until date.",
        ],
        "rai:dataLimitations": [
            "Anonymization is automatic: identifiers the recognizers miss (nicknames, misspelt "
            "names, unusual formats) can remain in free-text columns.",
        ] + _review_lines(cert.get("review")) + [
            f"{quarantined} of {read} records read ({_pct(quarantined, read)}) were quarantined; "
            "sources are represented unevenly: " + ", ".join(
                f"{sid} {n} of {rows} ({_pct(n, rows)})" for sid, n in written.items()) + ".",
        ] + [f"{lic['rows']} records under {lic['licence']} are share-alike: derived datasets "
             "must use the same terms." for lic in licences if lic["share_alike"]]
          + ([f"Retention: the earliest _retain_until date is {earliest_expiry.isoformat()}; "
              "records past it must be removed."] if earliest_expiry else []),
        "rai:dataBiases": [
            "Composition follows the sources that passed the policy gates, not a designed "
            "sample: " + ", ".join(f"{sid} {_pct(n, rows)}" for sid, n in written.items()) + ".",
        ] + ([
            "Languages detected per record (_language), share of the dataset and share the "
            "gates removed: " + ", ".join(
                f"{lang} {_pct(c['written'], rows)} (removed {_pct(c['quarantined'], c['read'])})"
                for lang, c in languages.items()) + "."] if languages else []) + [
            "Person names are replaced by surrogates drawn from fixed name lists, which changes "
            "the distribution of names in the text."
            if any("surrogate" in ops for ops in pii.values()) else
            "Replaced identifiers are uniform tags or tokens, so models learn nothing from them.",
        ],
        "rai:dataSocialImpact": (
            "The records were written by or about people. Direct identifiers are removed or "
            "pseudonymized, and data subjects can ask for access, erasure or consent withdrawal "
            f"({len(cert.get('requests_served', []))} request(s) honoured in this version); a model "
            "trained on it may still memorize identifiers that detection missed."),
        "rai:dataReleaseMaintenancePlan": (
            "Each version is reproduced with DVC from the declared sources, the policy and the "
            "data-subject requests, and named <as-of date>.<run id>; a new version is certified "
            "when any of them changes (erasures and withdrawals take effect in the next version). "
            "Each version's certificate is signed with Ed25519; `privenance pull` and "
            "`privenance verify` refuse files whose hashes or signature do not match."),
        "distribution": distribution,
        "recordSet": [{
            "@type": "cr:RecordSet", "@id": RECORD_SET, "name": RECORD_SET,
            "description": f"The {rows} certified records, one per source record kept.",
            "key": {"@id": f"{RECORD_SET}/_record_id"},
            "field": fields,
        }],
    }
    return {k: v for k, v in meta.items() if v not in (None, [], "")}


def write_croissant(path: Path, name: str, run: dict, cert: dict | None,
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
