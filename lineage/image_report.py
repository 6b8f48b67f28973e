"""The lineage report's section on image records: pictures written by the state of their
C2PA content credentials, those quarantined for what the credentials said, and what was
removed from them (pipelines/images/)."""
from __future__ import annotations

from lineage.html import esc, section, table
from privenance.contracts import RunRecord
from privenance.errors import explain

# what the report says of pictures without content credentials, and why
NO_MANIFEST = ("No manifest proves nothing: a picture without C2PA content credentials "
               "makes no claim about how it was made, so it is no evidence that a person or a "
               "camera made it, nor that a model did not.")
CREDENTIAL_REASONS = ("TDM_CREDENTIALS", "CREDENTIALS_INVALID", "GENERATED_AS_HUMAN")


def image_facts(run: RunRecord) -> dict | None:
    """For image sources (``format: images`` or ``image_fields``): the pictures written
    (records of an images source; cells of image fields) by the state of their
    C2PA manifest (valid or trusted, invalid, none), those quarantined for what their
    credentials said, and what was removed; None without image sources."""
    ids = [s.id for s in run.sources if s.format == "images" or s.image_fields]
    if not ids:
        return None
    images = run.images
    states = images.get("credentials") or {}
    quarantined = {r: sum(run.counts[i].quarantine_reasons.get(r, 0) for i in ids)
                   for r in CREDENTIAL_REASONS}
    return {"sources": ids, "written": sum(run.counts[i].written for i in ids),
            "manifest": {"valid": states.get("valid", 0) + states.get("trusted", 0),
                         "invalid": states.get("invalid", 0), "none": states.get("none", 0)},
            "quarantined_for_credentials": {r: n for r, n in quarantined.items() if n},
            "formats": images.get("formats") or {},
            "metadata_removed": images.get("metadata_removed") or {},
            "faces_found": images.get("faces_found", 0),
            "faces_blurred": images.get("faces_blurred", 0),
            "faces_kept_by_consent": images.get("faces_kept_by_consent", 0), "note": NO_MANIFEST}


def images_section(facts: dict) -> str:
    images = facts.get("images")
    if not images:
        return ""
    manifest = images["manifest"]
    rows = [["valid or trusted (signed, content unchanged since)", manifest["valid"]],
            ["invalid (tampered or broken; kept or quarantined per images.invalid_credentials)",
             manifest["invalid"]], ["no manifest", manifest["none"]]]
    rows += [[f"quarantined: {r} ({explain(r)})", n]
             for r, n in images["quarantined_for_credentials"].items()]
    removed = ", ".join(f"{k} {n}" for k, n in images["metadata_removed"].items()) or "none"
    return section("Image records: content credentials and treatment",
                    f'<p>{images["written"]:,} picture(s) written from '
                    f'{esc(", ".join(images["sources"]))}, by their C2PA manifest:</p>'
                    + table(["C2PA manifest", "pictures"], rows, {1})
                    + f"<p><b>{esc(images['note'])}</b></p>"
                    + f'<p class="muted">Metadata removed (pictures, by kind): {esc(removed)}. '
                      f'Faces found {images["faces_found"]:,}, pixelated '
                      f'{images["faces_blurred"]:,}, kept by the consent of the people '
                      f'pictured {images.get("faces_kept_by_consent", 0):,}. Formats: '
                    + esc(", ".join(f"{m} {n}" for m, n in images["formats"].items()) or "none")
                    + ".</p>")
