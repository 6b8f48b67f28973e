"""The suites, one per Data Protection Principle plus licence and k-anonymity,
described in plain Python from the policy and the run record. No Great
Expectations import here: gx_adapter.py turns these into GE expectations.

Checks that built-in expectations cannot express over the raw columns (a purpose
inside a list column, a licence's permitted use, group sizes, the subject index)
are computed into ``_check_*`` columns by ``derive_checks`` and then asserted with
built-in expectations, so each shows up by name in Data Docs. Residual identifiers
in text use our own expectation (gx_adapter.custom_expectations).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from privenance import provenance as P
from privenance.errors import RecordRejected
from privenance.licences import classify
from privenance.contracts import RunRecord
from privenance.policy import Policy
from privenance.sources import ORIGINS
from privenance.subject_tokens import SUBJECT_ENTITIES

SUITES = ("dpp1_collection", "dpp2_accuracy_retention", "dpp3_use", "dpp4_security",
          "dpp5_openness", "dpp6_access", "licence", "k_anonymity", "representation",
          "synthetic_content")

# what each suite checks, in plain words for the summary and the report
SUITE_TEXT = {
    "dpp1_collection": "DPP1 collection: every record has a lawful basis the policy accepts, and "
                       "only the columns the sources declare or the policy allows are kept "
                       "(data minimisation)",
    "dpp2_accuracy_retention": "DPP2 accuracy and retention: record ids are present and unique, no "
                               "record is kept past its retain-until date or dated in the future, "
                               "and the policy's column rules hold",
    "dpp3_use": "DPP3 use: each record's consent covers the policy's purpose, and no record "
                "was given under a withdrawn consent",
    "dpp4_security": "DPP4 security: no direct identifier (email, HKID, card, phone, ...) is "
                     "left in any text column, declared columns hold what their operator writes, and "
                     "pictures carry no metadata and a neutral name",
    "dpp5_openness": "DPP5 openness: every record names the run and the policy that made it, and "
                     "the run record documents purpose, policy and sources",
    "dpp6_access": "DPP6 access and correction: every record names a declared source, every "
                   "record holding a person's identifier can be found by an access request, and "
                   "none concerns a person whose erasure was requested",
    "licence": "Licences: every licence is a valid SPDX expression that permits the purpose, and "
               "records whose licence requires attribution carry it",
    "k_anonymity": "k-anonymity: every combination of the policy's quasi-identifiers is shared "
                   "by at least k records",
}

OPERATOR_FORMATS = {"hash": r"^[0-9a-f]{8,64}$", "replace": r"^<[A-Z_]+>$", "encrypt": r"^ENC:",
                    "redact": r"^$", "mask": r"^\*+"}


@dataclass(frozen=True)
class Check:
    """One expectation: a GE expectation class name and its arguments."""

    expectation: str
    kwargs: dict = field(default_factory=dict)


def _licence_facts(expression) -> tuple[bool, str, bool, bool]:
    """(parses, use, requires attribution, share-alike)."""
    try:
        info = classify(expression) if expression else None
    except RecordRejected:
        info = None
    if info is None:
        return False, "unspecified", False, False
    return True, info.use, info.requires_attribution, info.share_alike


def _iso(value) -> str | None:
    return None if value is None or value != value else str(value)[:10]  # NaN/NaT != itself


def _entities(counts) -> set[str]:
    """Entity names of a ``_pii_counts`` cell: a mapping, or a list of {entity, count}
    (as written) or of (entity, count) pairs."""
    if counts is None or not hasattr(counts, "__iter__"):
        return set()
    if isinstance(counts, dict):
        return set(counts)
    return {c["entity"] if isinstance(c, dict) else c[0] for c in counts}


def _each(values: list, fn) -> list:
    """``[fn(v) for v in values]``, calling ``fn`` once per distinct str or date (equal
    values of these types are the same value) and for every other value."""
    memo: dict = {}
    out = []
    for v in values:
        if type(v) in (str, dt.date):
            if v not in memo:
                memo[v] = fn(v)
            out.append(memo[v])
        else:
            out.append(fn(v))
    return out


def _present(value) -> bool:
    """A non-blank string. A missing Parquet value can arrive as None or NaN; NaN is
    truthy and prints as "nan", so it has to be ruled out by type, not by truth."""
    return isinstance(value, str) and bool(value.strip())


# An image cell ({bytes, path}, pipelines/images/) holds a picture, not text: it is not
# scanned for identifiers but checked on its own (DPP4) by reading the file's structure,
# without decoding it: a neutral name made of the digest of its bytes, and no segment
# that carries metadata. The segments a picture of pixels only may hold, by format:
IMAGE_NAME = re.compile(r"image-([0-9a-f]{16})\.(jpg|png|webp)")
PNG_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"sRGB", b"pHYs",
              b"cHRM", b"sBIT", b"bKGD"}
JPEG_MARKERS = {0xE0, 0xDB, 0xC4, 0xDD, 0xCC} | set(range(0xC0, 0xD0))  # JFIF, tables, frames
WEBP_CHUNKS = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"}


def picture_segments(data: bytes) -> tuple[str, list[bytes]] | None:
    """(format, the names of its segments before the pixels) of a whole PNG, JPEG or
    WebP file, None for anything else (a truncated one included). Each step moves
    forward, so it ends on any input."""
    names = []
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        pos = 8
        while pos + 8 <= len(data):
            names.append(data[pos + 4:pos + 8])
            pos += 12 + int.from_bytes(data[pos:pos + 4], "big")
        complete = names[:1] == [b"IHDR"] and names[-1:] == [b"IEND"] and pos == len(data)
        return ("png", names) if complete else None
    if data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 4 <= len(data) and data[pos] == 0xFF and data[pos + 1] != 0xDA:  # DA: scan
            names.append(bytes([data[pos + 1]]))
            pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        scan = data[pos:pos + 2] == b"\xff\xda" and data.endswith(b"\xff\xd9")
        return ("jpg", names) if scan else None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        pos = 12
        while pos + 8 <= len(data):
            names.append(data[pos:pos + 4])
            size = int.from_bytes(data[pos + 4:pos + 8], "little")
            pos += 8 + size + (size & 1)
        return ("webp", names) if {b"VP8 ", b"VP8L"} & set(names) else None
    return None


def image_is_clean(value) -> bool:
    """An image cell as a run writes it: bytes named ``image-<their sha256>.<format>``
    (never a file's own name), holding no metadata segment (EXIF, XMP, IPTC, ICC,
    comments, PNG text, C2PA). A missing picture has nothing to check."""
    if value is None:
        return True
    data, name = (value.get("bytes"), value.get("path")) if isinstance(value, dict) else (None, None)
    match = IMAGE_NAME.fullmatch(name) if isinstance(name, str) else None
    if not isinstance(data, bytes) or not match:
        return False
    if hashlib.sha256(data).hexdigest()[:16] != match.group(1):
        return False
    found = picture_segments(data)
    if found is None or found[0] != match.group(2):
        return False
    fmt, names = found
    allowed = {"png": PNG_CHUNKS, "webp": WEBP_CHUNKS,
               "jpg": {bytes([m]) for m in JPEG_MARKERS}}[fmt]
    return all(n in allowed for n in names)


def image_columns(df) -> list[str]:
    """Columns of image cells: dicts of exactly ``bytes`` and ``path``."""
    def is_image(column):
        # iterating stops at the first value: no copy of a whole text column as a list
        first = next((v for v in df[column] if v is not None), None)
        return isinstance(first, dict) and set(first) == {"bytes", "path"}
    return sorted(c for c in df.columns if str(df[c].dtype) == "object" and is_image(c))


def derive_checks(df, policy: Policy, run: RunRecord | dict, as_of: str, findings=None,
                  erased: set[str] = frozenset(), erased_records: set[str] = frozenset()):
    """Add the ``_check_*`` columns the suites assert on; returns a new DataFrame.
    ``findings`` (the run's findings as a DataFrame) enables the subject-index checks;
    ``erased``: subject tokens, ``erased_records``: record ids, of erasure requests.

    Columns are read as lists (``tolist``: the same values as iterating the Series, at
    a fraction of the cost for Arrow-backed strings), and licence facts and dates
    worked out once per distinct value."""
    run = RunRecord.of(run)
    df = df.copy()
    df["_check_retention_not_expired"] = _each(
        df[P.RETAIN_UNTIL].tolist(), lambda v: (d := _iso(v)) is None or d >= as_of)
    df["_check_collected_not_in_future"] = _each(
        df[P.COLLECTED_AT].tolist(), lambda v: (d := _iso(v)) is None or d <= as_of)
    purpose, needs = policy.purpose.name, set(policy.consent.require_purpose_for)
    df["_check_purpose_consented"] = [
        basis not in needs or (purposes is not None and purpose in list(purposes))
        for basis, purposes in zip(df[P.CONSENT_BASIS].tolist(), df[P.CONSENT_PURPOSES].tolist())]
    facts = _each(df[P.LICENCE].tolist(), _licence_facts)
    df["_check_licence_parses"] = [f[0] for f in facts]
    df["_check_licence_use"] = [f[1] for f in facts]
    df["_check_attribution_present"] = [
        not f[2] or _present(a) for f, a in zip(facts, df[P.ATTRIBUTION].tolist())]
    if findings is not None:
        _subject_checks(df, findings, erased, erased_records)
    # the representation suite: the run's widest gap in drop rate between groups of each
    # attribute (run.json "representation"), asserted as a column so it shows by name
    rates = run.representation.get("drop_rates", {})
    for attribute in policy.representation.gap_attributes:
        df[f"_check_drop_rate_gap{attribute}"] = float((rates.get(attribute) or {}).get("gap", 0.0))
    for column in image_columns(df):  # pictures: checked by structure, not scanned as text
        df[f"_check_image_clean_{column}"] = [image_is_clean(v) for v in df[column].tolist()]
    qi = policy.k_anonymity.quasi_identifiers
    if qi and all(c in df for c in qi):
        df["_check_qi_group_size"] = df.groupby(qi, dropna=False)[qi[0]].transform("size")
    return df


def _subject_checks(df, findings, erased: set[str],
                    named: set[str] = frozenset()) -> None:
    """DPP6: a record holding a subject's identifier must be reachable from the subject
    index (its findings carry subject tokens), so access, correction and erasure
    requests can find it; and no record may concern an erased subject, nor be one an
    erasure request ``named`` by its record id."""
    tokens = findings[findings["subject"].notna()]
    indexed = set(tokens[P.RECORD_ID].unique().tolist())
    erased_records = set(tokens[tokens["subject"].isin(set(erased))][P.RECORD_ID].tolist())
    erased_records |= set(named)
    subject_entities = set(SUBJECT_ENTITIES)
    record_ids = df[P.RECORD_ID].tolist()
    df["_check_in_subject_index"] = [
        rid in indexed or not (_entities(c) & subject_entities)
        for rid, c in zip(record_ids, df[P.PII_COUNTS].tolist())]
    df["_check_subject_not_erased"] = [rid not in erased_records for rid in record_ids]


def _ours(column: str) -> bool:
    """A provenance column or one of derive_checks' columns, not a source column."""
    return column in P.COLUMNS or column.startswith("_check_")


def scanned_columns(df) -> list[str]:
    """Columns that hold text or integers a source supplied (a card number can be an
    integer): provenance and check columns aside, but for those a row may set, and
    pictures aside (image_columns: checked by image_is_clean instead)."""
    pictures = set(image_columns(df))
    return sorted(c for c in df.columns if (not _ours(c) or c in P.ROW_SET)
                  and c not in pictures and (str(df[c].dtype) in ("object", "string", "str")
                       or str(df[c].dtype).lower().startswith(("int", "uint"))))


def column_rule_checks(df, policy: Policy) -> list[Check]:
    """The policy's per-column rules (validation.columns): present, not null, unique,
    length, pattern, allowed values."""
    checks = []
    for column, rule in sorted(policy.validation.columns.items()):
        if column not in df:
            checks.append(Check("ExpectColumnToExist", {"column": column}))
            continue
        if rule.not_null:
            checks.append(Check("ExpectColumnValuesToNotBeNull", {"column": column}))
        if rule.unique:
            checks.append(Check("ExpectColumnValuesToBeUnique", {"column": column}))
        if rule.max_length:
            checks.append(Check("ExpectColumnValueLengthsToBeBetween",
                                {"column": column, "max_value": rule.max_length}))
        if rule.pattern:
            checks.append(Check("ExpectColumnValuesToMatchRegex", {"column": column, "regex": rule.pattern}))
        if rule.allowed_values is not None:
            checks.append(Check("ExpectColumnValuesToBeInSet",
                                {"column": column, "value_set": rule.allowed_values}))
    return checks


def operator_format_checks(df, run: RunRecord) -> list[Check]:
    """Each declared structured column holds what its operator writes (a hash, a tag...)."""
    checks = []
    for source in run.sources:
        for column, entity in source.fields.items():
            fmt = OPERATOR_FORMATS.get(run.operators.get(entity, "replace"))
            if fmt and column in df:
                checks.append(Check("ExpectColumnValuesToMatchRegex", {
                    "column": column, "regex": fmt}))
    return checks


def build_suites(df, policy: Policy, run: RunRecord | dict,
                 withdrawn: set[str]) -> dict[str, list[Check]]:
    """The checks of every suite for this dataset (df must come from derive_checks)."""
    run = RunRecord.of(run)
    declared = run.source_ids
    own_columns = [c for c in df.columns if not _ours(c)]
    # minimisation: only columns the run says its declarations let through
    allowed = set().union(*(s.output_columns for s in run.sources))
    present_allowed = allowed & set(own_columns)
    suites = {
        "dpp1_collection": [
            Check("ExpectColumnValuesToNotBeNull", {"column": P.CONSENT_BASIS}),
            Check("ExpectColumnValuesToBeInSet", {"column": P.CONSENT_BASIS,
                                                  "value_set": policy.consent.lawful_bases}),
            # minimisation: the source columns present must be exactly the allowed ones present
            Check("ExpectTableColumnsToMatchSet", {"column_set": sorted(
                present_allowed | {c for c in df.columns if _ours(c)}),
                "exact_match": True}),
        ],
        "dpp2_accuracy_retention": [
            Check("ExpectColumnValuesToNotBeNull", {"column": P.RECORD_ID}),
            Check("ExpectColumnValuesToBeUnique", {"column": P.RECORD_ID}),
            Check("ExpectColumnValuesToBeInSet", {"column": "_check_retention_not_expired",
                                                  "value_set": [True]}),
            Check("ExpectColumnValuesToBeInSet", {"column": "_check_collected_not_in_future",
                                                  "value_set": [True]}),
        ],
        "dpp3_use": [
            Check("ExpectColumnValuesToBeInSet", {"column": "_check_purpose_consented",
                                                  "value_set": [True]}),
            Check("ExpectColumnValuesToNotBeInSet", {"column": P.CONSENT_REF,
                                                     "value_set": sorted(withdrawn) or ["(no withdrawals)"]}),
        ],
        # no residual identifier in any string column that reached the output, declared
        # or not (a custom expectation, gx_adapter.py)
        "dpp4_security": [Check("ExpectColumnValuesToHaveNoResidualIdentifiers", {"column": c})
                          for c in scanned_columns(df)],
        "dpp5_openness": [
            Check("ExpectColumnValuesToNotBeNull", {"column": P.RUN_ID}),
            Check("ExpectColumnValuesToBeInSet", {"column": P.POLICY_SHA256,
                                                  "value_set": [run.policy.sha256]}),
            Check("ExpectColumnValuesToBeInSet", {"column": P.RUN_ID, "value_set": [run.run_id]}),
        ],
        "dpp6_access": [
            Check("ExpectColumnValuesToNotBeNull", {"column": P.RECORD_ID}),
            Check("ExpectColumnValuesToNotBeNull", {"column": P.SOURCE}),
            Check("ExpectColumnValuesToBeInSet", {"column": P.SOURCE, "value_set": declared}),
        ],
        "licence": [
            Check("ExpectColumnValuesToBeInSet", {"column": "_check_licence_parses", "value_set": [True]}),
            Check("ExpectColumnValuesToBeInSet", {"column": "_check_licence_use",
                                                  "value_set": policy.licences.allowed_uses}),
            Check("ExpectColumnValuesToBeInSet", {"column": "_check_attribution_present",
                                                  "value_set": [True]}),
        ],
        "k_anonymity": [Check("ExpectTableRowCountToBeBetween", {"min_value": 0})],
    }
    suites["dpp2_accuracy_retention"] += column_rule_checks(df, policy)
    if policy.licences.allowed:  # ids allowed whatever their use: check them by id
        suites["licence"][1] = Check("ExpectColumnValuesToBeInSet", {
            "column": "_check_licence_use", "value_set": policy.licences.allowed_uses,
            "row_condition": " & ".join(f'{P.LICENCE}!="{x}"' for x in policy.licences.allowed),
            "condition_parser": "pandas"})
    suites["dpp4_security"] += operator_format_checks(df, run)
    for column in ("_check_in_subject_index", "_check_subject_not_erased"):
        if column in df:
            suites["dpp6_access"].append(Check("ExpectColumnValuesToBeInSet",
                                               {"column": column, "value_set": [True]}))
    for column in sorted(c for c in df.columns if c.startswith("_check_image_clean_")):
        suites["dpp4_security"].append(Check("ExpectColumnValuesToBeInSet",
                                             {"column": column, "value_set": [True]}))
    suites["representation"] = representation_checks(df, policy, run)
    suites["synthetic_content"] = synthetic_checks(policy)
    if "_check_qi_group_size" in df:
        suites["k_anonymity"] = [Check("ExpectColumnMinToBeBetween", {
            "column": "_check_qi_group_size", "min_value": policy.k_anonymity.k})]
    elif policy.k_anonymity.quasi_identifiers:
        # a quasi-identifier the dataset lacks: k-anonymity cannot be shown, so it fails
        suites["k_anonymity"] = [Check("ExpectColumnToExist", {"column": c})
                                 for c in policy.k_anonymity.quasi_identifiers]
    return suites


def representation_checks(df, policy: Policy, run: RunRecord) -> list[Check]:
    """Fairness thresholds (policy ``representation``): each language's minimum share of
    the written records (``mostly`` of the records in that language), and the widest
    gap in drop rate between groups; the run must have counted its groups."""
    cfg = policy.representation
    checks = [Check("ExpectColumnValuesToNotBeNull", {"column": P.LANGUAGE})]
    for language, share in sorted(cfg.min_share.items()):
        checks.append(Check("ExpectColumnValuesToBeInSet", {
            "column": P.LANGUAGE, "value_set": [language], "mostly": share}))
    if cfg.max_drop_rate_gap is not None:
        if not run.representation:
            checks.append(Check("ExpectColumnToExist", {"column": "_check_run_counted_groups"}))
        for attribute in cfg.gap_attributes:
            checks.append(Check("ExpectColumnMaxToBeBetween", {
                "column": f"_check_drop_rate_gap{attribute}", "max_value": cfg.max_drop_rate_gap}))
    return checks


def synthetic_checks(policy: Policy) -> list[Check]:
    """Synthetic and generated content (policy ``synthetic``): every record labelled
    with a known origin, and the share of each non-human origin, and of all of them,
    within the policy's limits."""
    cfg = policy.synthetic
    checks = [Check("ExpectColumnValuesToNotBeNull", {"column": P.ORIGIN}),
              Check("ExpectColumnValuesToBeInSet", {"column": P.ORIGIN, "value_set": list(ORIGINS)})]
    for origin, share in sorted(cfg.max_share.items()):
        checks.append(Check("ExpectColumnValuesToNotBeInSet", {
            "column": P.ORIGIN, "value_set": [origin], "mostly": round(1 - share, 6)}))
    if cfg.max_non_human_share is not None:
        checks.append(Check("ExpectColumnValuesToBeInSet", {
            "column": P.ORIGIN, "value_set": ["human"],
            "mostly": round(1 - cfg.max_non_human_share, 6)}))
    return checks
