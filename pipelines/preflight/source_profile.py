"""Profile a source from a sample: its format and encoding, an id field, free-text
columns and columns that hold identifiers, for `privenance init` and `privenance check`.

Identifiers are found with the project's real recognizers (``TextAnonymizer``) and the
high-precision checks of privenance/identifiers.py. Nothing here keeps or returns a
value: a profile holds column names, entity types, counts and shares only.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from privenance.identifiers import find_identifiers
from privenance.keys import Secret
from privenance.policy import Policy
from privenance.sources import FORMATS, OVERRIDE_COLUMNS, Source

SAMPLE_ROWS = 1000      # records read per source
SCAN_CELLS = 200        # cells per column sent to the recognizers (they cost ~ms a cell)
ENTITY_SHARE = 0.3      # a column whose cells are mostly one entity this often is that entity
# encodings tried in order on a file's first bytes; latin-1 decodes anything (last resort)
ENCODINGS = ("utf-8", "big5hkscs", "gb18030", "latin-1")
# what a column's name suggests it holds; used only to confirm what the scan found
NAME_HINTS = (
    (re.compile(r"e-?mail|mail", re.I), "EMAIL_ADDRESS"),
    (re.compile(r"phone|mobile|\btel|fax|whatsapp|contact_?no", re.I), "PHONE_NUMBER"),
    (re.compile(r"hkid|id_?card|identity", re.I), "HK_ID"),
    (re.compile(r"card|\bpan\b", re.I), "CREDIT_CARD"),
    (re.compile(r"iban|account", re.I), "IBAN_CODE"),
    (re.compile(r"\bip\b|ip_?addr", re.I), "IP_ADDRESS"),
    (re.compile(r"addr|street", re.I), "STREET_ADDRESS"),
    (re.compile(r"name|author|writer|person|customer|client|patient|agent|user|staff", re.I),
     "PERSON"),
)
# a code: a language, country or status value (en, zh-Hant, HK, in_progress, OPEN), not a
# word a model may read as a name or a place ("zh" was once taken for a person)
CODE_VALUE = re.compile(r"[A-Za-z]{1,3}|[a-z0-9]+(?:[-_.][A-Za-z0-9]+)*|[A-Z0-9]+(?:[-_.][A-Z0-9]+)*")
CODE_MAX_DISTINCT = 20
# what only a model finds (a word taken for a name or place); a code column is never one
WORD_ENTITIES = frozenset({"PERSON", "STREET_ADDRESS", "LOCATION", "NRP", "ORGANIZATION"})
ID_HINT = re.compile(r"(^|[_\-\s])(id|uid|uuid|key|ref|no|number|code)$|^id|id$", re.I)


@dataclass
class ColumnProfile:
    """What a sample shows about one column: no values, only counts."""

    name: str
    cells: int = 0               # non-null cells sampled
    kind: str = "other"          # text | short | code | number | date | image | other
    unique: bool = False         # no repeated value among the sampled cells
    entity: str | None = None    # the entity most of its cells are, if ENTITY_SHARE of them
    share: float = 0.0           # share of scanned cells that are that entity
    in_text: Counter = field(default_factory=Counter)  # entity -> cells mentioning it
    scanned: int = 0             # cells sent to the recognizers

    def mentions(self) -> list[tuple[str, float]]:
        """(entity, share of scanned cells) for entities mentioned inside its cells."""
        return [(e, n / self.scanned) for e, n in self.in_text.most_common() if self.scanned]


@dataclass
class SourceProfile:
    path: str
    format: str
    encoding: str
    rows: int                    # readable rows sampled
    unreadable: int              # rows of the sample that could not be read
    columns: dict[str, ColumnProfile]
    overrides: list[str]         # provenance columns the rows carry (licence, consent, ...)
    id_field: str | None = None
    text_fields: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    image_fields: list[str] = field(default_factory=list)  # columns of pictures
    header: bool = True          # CSV: the first row names the columns
    header_note: str | None = None   # why the first row was taken for data
    withheld: dict[str, str] = field(default_factory=dict)  # name -> what it looks like


def guess_format(path: str) -> str:
    """From the extension, else from the first character (``{`` is JSON lines)."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt:
        return fmt
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


def guess_encoding(path: str, size: int = 1 << 20) -> str:
    """The first of ENCODINGS that decodes the file's first MB (cut at a line end, so
    a character split by the cut does not count). A byte-order mark means UTF."""
    with open(path, "rb") as f:
        head = f.read(size)
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return "utf-8" if head.startswith(b"\xef\xbb\xbf") else "utf-16"
    if len(head) == size and b"\n" in head:
        head = head[:head.rindex(b"\n")]
    for encoding in ENCODINGS:
        try:
            head.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


# what a text file's bytes may be in when they are not what the manifest says
HINT_ENCODINGS = ("utf-8", "big5hkscs", "gb18030", "utf-16-le", "utf-16-be", "cp1252")
# the most frequent Chinese characters, Traditional and Simplified: Big5 bytes read as
# GB18030 (or the reverse) decode too, but into rare characters
COMMON_HAN = frozenset("的一是不了人我在有他這这中大來来上個个們们到說说時时你地要就出會会也"
                       "和對对生能而子那得於于著着下自之年過过發发後后作裡里用道行所然家種种"
                       "事成方多經经麼么去法學学如都同現现當当沒没動动面起看定天分還还開开"
                       "請请電电話话號号客戶户服務务謝谢問问題题")
MANY_UNDECODABLE = 0.1  # a share of a source's rows that cannot be read: worth a hint


def encoding_hint(source: Source, size: int = 1 << 20) -> str | None:
    """The encoding the bytes of a text source look like when its first files are not
    valid in the encoding the manifest declares (e.g. big5hkscs for Big5 declared as
    UTF-8); None when they decode, or nothing fits. Reads the first MB of up to three
    files."""
    from privenance import storage
    from privenance.sources import format_of, list_source_files
    for file in list_source_files(source)[:3]:
        if (source.format or format_of(file.path)) == "parquet":
            continue
        try:
            with storage.open_read(file.path, compressed=True) as stream:
                head = stream.read(size)
        except (OSError, EOFError, ValueError):
            continue
        if len(head) == size and b"\n" in head:
            head = head[:head.rindex(b"\n")]  # no character cut in two
        guess = _bytes_look_like(head, source.encoding)
        if guess:
            return guess
    return None


def _bytes_look_like(head: bytes, declared: str) -> str | None:
    import codecs
    try:
        head.decode(declared)
        return None
    except (UnicodeDecodeError, LookupError):
        pass
    if head.count(b"\x00") > len(head) // 5:  # UTF-16 without a byte-order mark
        even_nuls = head[0::2].count(b"\x00")
        return "utf-16-be" if even_nuls > head[1::2].count(b"\x00") else "utf-16-le"
    scores = {}
    for encoding in HINT_ENCODINGS:
        if codecs.lookup(encoding).name == codecs.lookup(declared).name:
            continue
        try:
            text = (head[:len(head) // 2 * 2] if encoding.startswith("utf-16") else head
                    ).decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8":
            return encoding  # UTF-8 that decodes cleanly is UTF-8
        scores[encoding] = sum(c in COMMON_HAN for c in text)
    han = {e: n for e, n in scores.items() if e != "cp1252" and n}
    if han:
        return max(han, key=han.get)
    return "cp1252" if "cp1252" in scores else None


def encoding_advice(source: Source, undecodable: int, read: int) -> str | None:
    """One line for `run` and `check` when many of a source's rows could not be read
    and its bytes look like another encoding than the one declared."""
    if not read or undecodable / read < MANY_UNDECODABLE:
        return None
    guess = encoding_hint(source)
    if guess is None:
        return None
    return (f"source {source.id}: {undecodable} of {read} rows could not be read as "
            f"{source.encoding}; the bytes look like {guess}: set `encoding: {guess}` for "
            "this source in the manifest")


def sample(source: Source, rows: int = SAMPLE_ROWS) -> tuple[list[dict], int]:
    """(readable rows, unreadable rows) among the first ``rows`` of a source."""
    from pipelines.read.formats import read_source
    good, bad = [], 0
    for row in islice(read_source(source), rows):
        if row.values is None:
            bad += 1
        else:
            good.append(row.values)
    return good, bad


class Scanner:
    """Which entities a cell holds, by the real recognizers of a policy. Built once
    (spaCy and Presidio load in a few seconds); a throwaway key, as nothing it
    computes is kept."""

    def __init__(self, policy: Policy):
        from pipelines.anonymize.engine import TextAnonymizer
        self.engine = TextAnonymizer(policy, Secret(os.urandom(32), "profile scan"))
        self.engine.setup()

    def findings(self, texts: list[str]) -> list[list[tuple[str, int]]]:
        """Per text, (entity, characters covered) of each finding."""
        out = []
        for text, done in zip(texts, self.engine.anonymize_texts(texts)):
            found = [(f.entity, f.end - f.start) for f in done.findings]
            # the high-precision checks see what a model may miss (a bare card number)
            found += [(e, len(text)) for e in find_identifiers(text) if e not in dict(found)]
            out.append(found)
        return out


def _is_date(value) -> bool:
    if isinstance(value, dt.date):
        return True
    try:
        dt.datetime.fromisoformat(value.strip())
        return True
    except ValueError:
        return False


# the first bytes of a JPEG, a PNG and a WebP file (the formats an image record reads)
PICTURE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def is_picture(value) -> bool:
    """A cell that holds a picture: its bytes, a ``{bytes, path}`` struct, or a path or
    URI naming a JPEG, PNG or WebP file (what a source's ``image_fields`` read)."""
    from privenance.sources import format_of
    if isinstance(value, dict):
        value = value.get("bytes") or value.get("path")
    if isinstance(value, bytes):
        return value.startswith(PICTURE_MAGIC) or (value[:4] == b"RIFF" and value[8:12] == b"WEBP")
    return isinstance(value, str) and "\n" not in value and format_of(value.strip()) == "images"


def _kind(values: list) -> str:
    if all(map(is_picture, values)):
        return "image"  # never scanned: a picture's bytes, or a file name (maybe personal)
    if all(isinstance(v, bool) or isinstance(v, (int, float)) for v in values):
        return "number"
    if all(isinstance(v, (str, dt.date)) for v in values) and all(map(_is_date, values)):
        return "date"  # ISO dates and times: not scanned (digit runs look like phones)
    if not all(isinstance(v, str) for v in values):
        return "other"
    lengths = sorted(len(v) for v in values)
    words = sum(1 for v in values if len(v.split()) >= 4)
    # free text: sentences, not names or codes (a name is 2-3 words, an address is
    # mostly one entity and is told apart by the scan)
    if lengths[len(lengths) // 2] >= 25 and words >= len(values) / 2:
        return "text"
    return "short"


def is_code_column(values: list) -> bool:
    """Low-cardinality codes (language, country, status): few distinct short values,
    each repeated, all shaped like codes. Such a column is never a name or a place."""
    texts = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    distinct = set(texts)
    return (len(texts) == len(values) and 0 < len(distinct) <= CODE_MAX_DISTINCT
            and len(distinct) <= max(3, len(texts) // 2)
            and all(len(t) <= 24 and CODE_VALUE.fullmatch(t) for t in distinct))


def _hint(column: str) -> str | None:
    return next((entity for rx, entity in NAME_HINTS if rx.search(column)), None)


def profile_columns(rows: list[dict], scanner: Scanner | None,
                    skip: set[str] = frozenset()) -> dict[str, ColumnProfile]:
    """Profile every column of the sample (the union of the rows' keys), scanning its
    string cells with ``scanner`` (None: no scan)."""
    columns = list(dict.fromkeys(c for r in rows for c in r))
    return {column: _profile_column(column, [r[column] for r in rows if r.get(column) is not None],
                                    scanner)
            for column in columns if column not in skip}


def _profile_column(column: str, values: list, scanner: Scanner | None) -> ColumnProfile:
    """One column's profile from its filled cells: kind, uniqueness, and (scanned) the
    identifiers its cells mention and the one its cells are, if any."""
    p = ColumnProfile(column, cells=len(values))
    if not values:
        return p
    p.kind = _kind(values)
    if p.kind == "short" and is_code_column(values):
        p.kind = "code"
    p.unique = len(set(map(str, values))) == len(values)
    texts = [str(v) for v in values if str(v).strip()][:SCAN_CELLS]
    if scanner is None or not texts or p.kind in ("other", "date", "image"):
        return p
    p.scanned = len(texts)
    whole = Counter()
    for text, found in zip(texts, scanner.findings(texts)):
        entity = _cell_entity(p, text, found)
        if entity is not None:
            whole[entity] += 1
    if whole:
        entity, n = whole.most_common(1)[0]
        p.share = n / p.scanned
        if p.share >= ENTITY_SHARE or (_hint(column) == entity and p.kind in ("short", "code")):
            p.entity = entity
    return p


def _cell_entity(p: ColumnProfile, text: str, found) -> str | None:
    """Counts the identifiers a cell mentions in ``p.in_text``; the one the cell (mostly)
    is, or None. In a code column, word-like findings are not identifiers."""
    size = len(text.strip()) or 1
    covered = Counter()
    for entity, length in found:
        if p.kind != "code" or entity not in WORD_ENTITIES:
            covered[entity] += length
    for entity in covered:
        p.in_text[entity] += 1
    if covered:
        entity, length = covered.most_common(1)[0]
        if length / size >= 0.5:  # the cell is (mostly) this identifier
            return entity
    return None


def guess_id_field(profiles: dict[str, ColumnProfile], rows: int) -> str | None:
    """A column filled and unique in the sample, holding no identifier of a person;
    one whose name says id/ref/key first. None when no column qualifies."""
    candidates = [p for p in profiles.values()
                  if p.cells == rows and rows and p.unique and p.entity is None
                  and p.kind in ("short", "number") and not p.in_text
                  and _hint(p.name) is None]  # never a phone or email column as the key
    named = [p for p in candidates if ID_HINT.search(p.name)]
    best = named or [p for p in candidates if p.kind == "short"]
    return best[0].name if best else None


def flagged_names(scanner: Scanner, names: list[str]) -> dict[str, str]:
    """Names (column names, JSON keys) the recognizers of ``scanner`` find to be mostly an
    identifier: name -> what it looks like (never the name itself)."""
    # a name with a word headers use (email, phone, name, id...) is a header's
    # even when the model takes it for a name ("Email Address")
    texts = [n for n in names if n.strip() and not _hint(n) and not ID_HINT.search(n)]
    flagged = {}
    for text, found in zip(texts, scanner.findings(texts)):
        covered = Counter()
        for entity, length in found:
            covered[entity] += length
        if covered:
            entity, length = covered.most_common(1)[0]
            if length / len(text.strip()) >= 0.5:
                flagged[text] = f"personal data ({entity})"
    return flagged


def data_like_names(names: list[str], scanner: Scanner | None,
                    identifiers_only: bool) -> dict[str, str]:
    """The names that look like data: name -> what (privenance/identifiers.py's
    name_problem, then the recognizers)."""
    from privenance.identifiers import name_problem
    found = {n: name_problem(n, identifiers_only) for n in names}
    found = {n: what for n, what in found.items() if what}
    if scanner is not None:
        found = {**flagged_names(scanner, [n for n in names if n not in found]), **found}
    return found


def header_problem(path: str, encoding: str, scanner: Scanner | None) -> str | None:
    """Why the first row of a CSV file reads as data rather than column names
    ("column 3 looks like an email address"), or None. Never quotes the row."""
    from pipelines.read.formats import read_file
    names = next((list(r.values) for r in islice(read_file(path, "csv", encoding), 1)
                  if r.values), [])
    flagged = data_like_names(names, scanner, identifiers_only=False)
    first = next((n for n, name in enumerate(names, 1) if name in flagged), None)
    return f"column {first} looks like {flagged[names[first - 1]]}" if first else None


def profile_source(path: str, scanner: Scanner | None, rows: int = SAMPLE_ROWS,
                   fmt: str | None = None, encoding: str | None = None,
                   header: bool | None = None) -> SourceProfile:
    """Read a sample of ``path`` and guess how it should be declared. ``header`` (CSV):
    whether the first row names the columns; None: judged from the row
    (``header_problem``), so that a file without a header row gets neutral names."""
    fmt = fmt or guess_format(path)
    if fmt == "images":
        return profile_pictures(path, rows)
    encoding = encoding or ("utf-8" if fmt == "parquet" else guess_encoding(path))
    note = None
    if fmt == "csv" and header is None:
        note = header_problem(path, encoding, scanner)
        header = note is None
    source = Source(id="profile", path=path, format=fmt, encoding=encoding,
                    header=header is not False)
    good, bad = sample(source, rows)
    overrides = [c for c in OVERRIDE_COLUMNS if any(c in r for r in good)]
    profiles = profile_columns(good, scanner, skip=set(overrides))
    prof = SourceProfile(path, fmt, encoding, len(good), bad, profiles, overrides,
                         header=source.header, header_note=note)
    # names that look like personal data are never declared, written or printed
    prof.withheld = data_like_names(list(profiles), scanner, identifiers_only=True)
    prof.id_field = guess_id_field({n: p for n, p in profiles.items()
                                    if n not in prof.withheld}, len(good))
    for p in profiles.values():
        if p.name == prof.id_field or p.name in prof.withheld:
            continue
        if p.kind == "image":
            prof.image_fields.append(p.name)
        elif p.entity:
            prof.fields[p.name] = p.entity
        elif p.kind == "text" or (p.kind in ("short", "code") and p.in_text):
            # sentences, or short cells that mention personal data: the recognizers
            # treat them as free text
            prof.text_fields.append(p.name)
    return prof


def profile_pictures(path: str, rows: int = SAMPLE_ROWS) -> SourceProfile:
    """A folder, glob or file of pictures (``format: images``): how many of the first
    ``rows`` files decode as JPEG, PNG or WebP (the others will be quarantined)."""
    from pipelines.images.metadata import ImageUnreadable, open_image
    source = Source(id="profile", path=path, format="images")
    good, bad = sample(source, rows)
    readable = 0
    for row in good:
        try:
            open_image(row["image"]["bytes"])
            readable += 1
        except ImageUnreadable:
            bad += 1
    return SourceProfile(path, "images", "binary", readable, bad, {}, [])
