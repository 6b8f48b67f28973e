"""Typed errors. Config errors (a bad file, fix it and re-run) are a different
class from data errors (a bad record, quarantined with a reason code).

Every error survives pickling (Beam moves exceptions between processes) and
never carries raw personal data: messages name files, fields and reason codes,
not values.
"""
from __future__ import annotations

import enum
import errno


class Reason(str, enum.Enum):
    """Why a record was quarantined. Stable codes: reports and tests rely on them."""

    MALFORMED = "MALFORMED"
    MISSING_ID = "MISSING_ID"
    DUPLICATE_ID = "DUPLICATE_ID"          # an earlier record of the source has the same id
    MISSING_LICENCE = "MISSING_LICENCE"
    INVALID_LICENCE = "INVALID_LICENCE"
    LICENCE_NOT_ALLOWED = "LICENCE_NOT_ALLOWED"
    NO_CONSENT = "NO_CONSENT"
    PURPOSE_NOT_CONSENTED = "PURPOSE_NOT_CONSENTED"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    RETENTION_EXPIRED = "RETENTION_EXPIRED"
    INVALID_DATE = "INVALID_DATE"
    SUBJECT_ERASED = "SUBJECT_ERASED"
    RESIDUAL_PII = "RESIDUAL_PII"
    TEXT_TOO_LONG = "TEXT_TOO_LONG"
    LINE_TOO_LONG = "LINE_TOO_LONG"        # a line or CSV row too long to read
    MISSING_COLUMN = "MISSING_COLUMN"      # a declared column absent from this row
    ANONYMIZE_FAILED = "ANONYMIZE_FAILED"  # the anonymizer or residual scan raised on it
    SURROGATE_COLLISION = "SURROGATE_COLLISION"  # no fake found that is not a detected value
    STEP_FAILED = "STEP_FAILED"
    # text-and-data mining reserved by the rights holder, one code per basis
    TDM_RESERVED = "TDM_RESERVED"          # TDMRep tdm-reservation: 1
    TDM_POLICY = "TDM_POLICY"              # TDMRep tdm-policy whose terms are not licensed
    TDM_ROBOTS = "TDM_ROBOTS"              # robots.txt / ai.txt opt-out recorded at collection
    TDM_OPT_OUT = "TDM_OPT_OUT"            # an explicit opt-out (tdm_opt_out)
    TDM_CREDENTIALS = "TDM_CREDENTIALS"    # the image's C2PA/CAWG training-mining assertion
    FACE_IN_IMAGE = "FACE_IN_IMAGE"        # a face found, and the policy quarantines them
    CREDENTIALS_INVALID = "CREDENTIALS_INVALID"  # a tampered or broken C2PA manifest, by policy
    UNKNOWN_ORIGIN = "UNKNOWN_ORIGIN"      # a row's origin is none of the known ones
    GENERATED_AS_HUMAN = "GENERATED_AS_HUMAN"  # declared human, carries a marker of generation


REASON_TEXT = {
    Reason.MALFORMED: "the row could not be read (bad JSON, CSV, encoding or Parquet)",
    Reason.MISSING_ID: "the source's id field is empty",
    Reason.DUPLICATE_ID: "an earlier record of the same source has the same id: the first "
                         "read is written, the later ones are quarantined",
    Reason.MISSING_LICENCE: "no licence, neither declared for the source nor in the row",
    Reason.INVALID_LICENCE: "the licence is not a valid SPDX expression",
    Reason.LICENCE_NOT_ALLOWED: "the licence does not permit the policy's purpose",
    Reason.NO_CONSENT: "no lawful basis the policy accepts",
    Reason.PURPOSE_NOT_CONSENTED: "the consent given does not cover the policy's purpose",
    Reason.CONSENT_WITHDRAWN: "the consent was withdrawn (a data-subject request)",
    Reason.RETENTION_EXPIRED: "kept past its retain-until date",
    Reason.INVALID_DATE: "a date column is not a valid ISO date",
    Reason.SUBJECT_ERASED: "concerns a person whose erasure was requested",
    Reason.RESIDUAL_PII: "an identifier was still found after anonymization",
    Reason.TEXT_TOO_LONG: "a text is longer than the policy's max_text_chars",
    Reason.LINE_TOO_LONG: "a line or CSV row is longer than 4 x max_text_chars + 64 Ki "
                          "characters: skipped unread",
    Reason.MISSING_COLUMN: "the row lacks a column the source declares",
    Reason.ANONYMIZE_FAILED: "the anonymizer or the residual scan failed on this row",
    Reason.SURROGATE_COLLISION: "a surrogate equals a value detected in the data and no "
                                "other fake of its length was found: left out, never written",
    Reason.STEP_FAILED: "an unexpected error in a pipeline step",
    Reason.TDM_RESERVED: "text-and-data mining is reserved (TDMRep tdm-reservation: 1)",
    Reason.TDM_POLICY: "text-and-data mining is reserved under a tdm-policy whose terms the "
                       "policy does not list as licensed",
    Reason.TDM_ROBOTS: "robots.txt or ai.txt refused AI or text-and-data mining at collection",
    Reason.TDM_OPT_OUT: "the rights holder opted out of text-and-data mining (tdm_opt_out)",
    Reason.TDM_CREDENTIALS: "the image's content credentials (a C2PA manifest's CAWG "
                            "training-and-data-mining assertion) do not allow AI training or "
                            "data mining, or allow them only under constraints",
    Reason.FACE_IN_IMAGE: "the image shows a face and the policy quarantines images with faces",
    Reason.CREDENTIALS_INVALID: "the image's C2PA manifest does not validate (tampered or "
                                "broken) and the policy quarantines such images",
    Reason.UNKNOWN_ORIGIN: "the row's origin is not human, synthetic, machine-translated or "
                           "model-generated",
    Reason.GENERATED_AS_HUMAN: "declared human-authored but carries a marker of generated "
                               "content the policy names",
}


def explain(reason: str) -> str:
    """A reason code in plain words, for summaries and reports."""
    try:
        return REASON_TEXT[Reason(reason)]
    except (ValueError, KeyError):
        return "unknown reason"


# the reasons that are text-and-data-mining opt-outs (each a basis)
TDM_REASONS = (Reason.TDM_RESERVED, Reason.TDM_POLICY, Reason.TDM_ROBOTS, Reason.TDM_OPT_OUT,
               Reason.TDM_CREDENTIALS)


class PrivenanceError(Exception):
    """Base of every error privenance raises on purpose."""

    exit_code = 1

    def __reduce__(self):
        return (self.__class__, self.args)


class ConfigError(PrivenanceError):
    """A configuration file (policy, sources manifest, key) is wrong.

    Rendered as one line: ``file:line: field: message``.
    """

    exit_code = 2

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 field: str | None = None):
        super().__init__(message, file, line, field)
        self.message, self.file, self.line, self.field = message, file, line, field

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class RecordRejected(PrivenanceError):
    """Raised by a step for one record; the adapter turns it into a quarantine row."""

    def __init__(self, reason: Reason, message: str, request: str | None = None):
        super().__init__(reason, message, request)
        self.reason, self.message, self.request = Reason(reason), message, request

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.message}"


class RunFailed(PrivenanceError):
    """A run finished but must not be trusted (accounting broken, bad share too high)."""

    exit_code = 1


class Interrupted(PrivenanceError):
    """The user pressed Ctrl-C (SIGINT): one line, exit 130 like any shell command."""

    exit_code = 130

    def __str__(self) -> str:
        return f"interrupted: {self.args[0]}" if self.args else "interrupted"


class VerificationFailed(PrivenanceError):
    """A certified dataset does not match its certificate."""

    exit_code = 3


class OutOfSpace(PrivenanceError):
    """The disk (or the user's quota) filled up while privenance wrote: nothing was
    published. Exit code 74 (sysexits' EX_IOERR)."""

    exit_code = 74


DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc``, or an error it was raised from or while handling, is a full disk
    or quota; also when a runner passed the error on as text (Beam re-raises a worker's
    error as a RuntimeError whose message holds the worker's traceback)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            return True
        if any(f"[Errno {code}] " in str(exc) for code in DISK_FULL):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
