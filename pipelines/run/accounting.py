"""A run's accounting and publishing, from the pipeline's own report (``_pipeline.json``).

Every row read is written or quarantined, per source; when that holds, the files move
from ``<out>.incoming/`` into ``<out>/{dataset,quarantine,findings}/`` and
``<out>/run.json`` is written last. run.json is the marker of a complete output: it
lists every file with its hash, and later stages refuse a folder without it or whose
files differ from it.
"""
from __future__ import annotations

import contextlib
import shutil
from collections import Counter, defaultdict

from pipelines.run.options import RunOptions, recorded_args
from privenance import provenance as P, storage, versions
from privenance.encryption import facts as encryption_facts
from privenance.errors import RunFailed
from privenance.policy import Policy
from privenance.staged import RUN_FILE
from privenance.subject_tokens import Requests

OUTPUTS = ("dataset", "findings", "quarantine")


def produced_by(policy: Policy) -> dict:
    """The code and engine versions a run records (privenance/versions.py), with the
    thorough profile's models when the policy uses it."""
    cfg = policy.anonymization
    engines = versions.engines(cfg.nlp_model, cfg.names_model)
    if "hk" in cfg.recognizer_packs:
        engines["chinese_names"] = cfg.chinese_names.model_dump()
    if cfg.profile == "thorough":
        engines["thorough_models"] = [versions.engines(m)["model"] for m in cfg.thorough_models]
    return {"code": versions.code(), "engines": engines}


def check_inputs_unchanged(info: dict) -> None:
    """Fail the run when an input changed between hashing and reading: its hash would
    not say which bytes the records came from."""
    if info.get("changed"):
        raise RunFailed("input changed while the run read it: source(s) "
                        + ", ".join(info["changed"]) + " (size or modification time differs "
                        "from when it was hashed); nothing was published: run again once "
                        "the input is complete")


class _Tally:
    """Rows per source and output, quarantine reason, request and finding, from the
    counts each written file reports."""

    def __init__(self, files: list[dict]):
        self.written, self.quarantined, self.reasons = Counter(), Counter(), Counter()
        self.by_source_reason = defaultdict(Counter)
        self.removed_by_request = Counter()
        self.pii = defaultdict(Counter)
        for file in files:
            for r in file["counts"]:
                self.add(file["output"], r, r["count_all"])

    def add(self, output: str, r: dict, n: int) -> None:
        if output == "dataset":
            self.written[r[P.SOURCE]] += n
        elif output == "quarantine":
            self.quarantined[r["_source"]] += n
            self.reasons[r["reason"]] += n
            self.by_source_reason[r["_source"]][r["reason"]] += n
            if r["request"]:
                self.removed_by_request[r["request"]] += n
        else:
            self.pii[r["entity"]][r["operator"]] += n


def summarize(info: dict, options: RunOptions, requests: Requests) -> dict:
    """The run summary from the pipeline's own report (``_pipeline.json``): rows per
    source in every output, and whether read = written + quarantined."""
    manifest, policy, as_of, beam_args = (options.manifest, options.policy, options.as_of,
                                          options.beam_args)
    from pipelines.read.transform import source_hashes
    from pipelines.steps.gates import output_columns
    read = {s.id: info["read"].get(s.id, 0) for s in manifest.sources}
    inputs = source_hashes(manifest, info["hashes"])
    tally = _Tally(info["files"])
    written, quarantined, reasons = tally.written, tally.quarantined, tally.reasons
    by_source_reason, removed_by_request, pii = (tally.by_source_reason,
                                                 tally.removed_by_request, tally.pii)
    counts = {s.id: {"read": read[s.id], "written": written[s.id],
                     "quarantined": quarantined[s.id],
                     "quarantine_reasons": dict(sorted(by_source_reason[s.id].items()))}
              for s in manifest.sources}
    made_by = produced_by(policy)
    return {
        "run_id": info["run_id"],
        "as_of": as_of.isoformat(),
        "code_version": made_by["code"]["version"],
        **made_by,
        # how it ran; the only part that may differ between runs of the same inputs
        "execution": {"runner": next((a.split("=", 1)[1] for a in recorded_args(beam_args)
                                      if a.startswith("--runner=")), "DirectRunner"),
                      "beam_args": recorded_args(beam_args),
                      # the manifest run from, for the commands that run it again
                      "sources_manifest": manifest._file},
        "policy": {"name": policy.name, "sha256": policy.sha256, "path": options.policy_path,
                   "sector": policy.sector},
        "purpose": policy.purpose.model_dump(),
        # columns the dataset holds encrypted, and the KMS whose key reads them
        **({"encryption": encryption_facts(policy.encryption.columns, policy.encryption.kms)}
           if policy.encryption.columns else {}),
        "sources": [{"id": s.id, "path": s.path, "format": s.format,
                     **inputs[s.id], "licence": s.licence,
                     "attribution": s.attribution,
                     "consent": s.consent.model_dump() if s.consent else None,
                     "origin": s.origin, "id_field": s.id_field,
                     "text_fields": s.text_fields, "fields": s.fields,
                     **({"image_fields": s.image_fields} if s.image_fields else {}),
                     # the source columns minimisation lets reach the output (DPP1)
                     "output_columns": sorted(output_columns(policy, s))}
                    for s in manifest.sources],
        "counts": counts,
        # sources that gave no record to the dataset: every row quarantined, or none read
        "sources_without_output": [sid for sid, c in counts.items() if c["written"] == 0],
        "totals": {"read": sum(read.values()), "written": sum(written.values()),
                   "quarantined": sum(quarantined.values())},
        "quarantine_reasons": dict(sorted(reasons.items())),
        "pii": {e: dict(sorted(ops.items())) for e, ops in sorted(pii.items())},
        # image records: metadata removed by kind (records), faces found and blurred
        **({"images": images} if (images := image_totals(info["files"])) else {}),
        "operators": {e: policy.rule_for(e).operator
                      for e in policy.anonymization.detected_entities()},
        # data-subject requests honoured by this run, and the records each removed
        "requests": [{**r, "records_removed": removed_by_request[r["request"]]}
                     for r in requests.all()],
        # fakes that equaled a value detected in the data, drawn again by the dataset's
        # writer (pipelines/anonymize/surrogates.py); counts only
        "surrogates": {"fakes_redrawn": sum(f.get("surrogates_redrawn", 0)
                                            for f in info["files"])},
        "outputs": {name: [{k: f[k] for k in ("path", "rows", "sha256")}
                           for f in info["files"] if f["output"] == name] for name in OUTPUTS},
    }


def image_totals(files: list[dict]) -> dict:
    """The dataset files' image treatment counts (pipelines/images/), summed."""
    removed, credentials, formats = Counter(), Counter(), Counter()
    found, blurred, consented, any_images = 0, 0, 0, False
    for file in files:
        images = file.get("images")
        if file["output"] != "dataset" or not images:
            continue
        any_images = True
        removed.update(images["metadata_removed"])
        credentials.update(images.get("credentials", {}))
        formats.update(images.get("formats", {}))
        found, blurred = found + images["faces_found"], blurred + images["faces_blurred"]
        consented += images.get("faces_kept_by_consent", 0)
    if not any_images:
        return {}
    return {"metadata_removed": dict(sorted(removed.items())), "faces_found": found,
            "faces_blurred": blurred, "faces_kept": found - blurred,
            "faces_kept_by_consent": consented, "credentials": dict(sorted(credentials.items())),
            "formats": dict(sorted(formats.items()))}


def check_accounting(summary: dict) -> None:
    broken = [sid for sid, c in summary["counts"].items()
              if c["read"] != c["written"] + c["quarantined"]]
    if broken:
        raise RunFailed("accounting failed: rows read != rows written + quarantined for "
                        + ", ".join(broken))


def incoming_for(out: str) -> str:
    """Where a run writes before it is published: a hidden sibling of ``out``."""
    parent, _, name = str(out).rstrip("/").rpartition("/")
    return f"{parent}/.{name}.incoming"


def publish(incoming: str, out: str, summary: dict) -> None:
    """Move the run's files from ``incoming`` into ``out`` and write run.json last.
    run.json goes first: from then until it is written again, ``out`` has no marker,
    so no stage mistakes a half-published folder for a run."""
    storage.delete([storage.join(out, RUN_FILE)] if storage.exists(storage.join(out, RUN_FILE)) else [])
    new = [f["path"] for files in summary["outputs"].values() for f in files]
    stale = [p for name in OUTPUTS for p in storage.list_files(storage.join(out, name))
             if p not in {storage.join(out, n) for n in new}]
    storage.delete(stale)
    storage.rename([storage.join(incoming, p) for p in new], [storage.join(out, p) for p in new])
    storage.write_json(storage.join(out, RUN_FILE), summary)
    storage.delete(storage.list_files(incoming))
    if not storage.is_uri(incoming):
        shutil.rmtree(incoming, ignore_errors=True)  # the empty folders


def remove_incoming(incoming: str) -> None:
    with contextlib.suppress(Exception):  # best effort: the disk is full, not broken
        storage.delete(storage.list_files(incoming, hidden=True))
    if not storage.is_uri(incoming):
        shutil.rmtree(incoming, ignore_errors=True)
