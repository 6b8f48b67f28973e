"""Licence hygiene: parse SPDX expressions and classify the use they permit."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from privenance.errors import Reason, RecordRejected

# What a licence permits, most permissive first. Anything not listed is "unspecified".
_NON_COMMERCIAL = re.compile(r"^CC-BY-NC(-SA|-ND)?-\d")
_ACADEMIC = {"LicenseRef-academic", "LicenseRef-research-only", "C-UDA-1.0"}
_COMMERCIAL = {
    "MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Unlicense", "CC0-1.0",
    "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CC-PDDC", "PDDL-1.0",
    "ODC-By-1.0", "ODbL-1.0", "CDLA-Permissive-1.0", "CDLA-Permissive-2.0",
    "CDLA-Sharing-1.0", "GPL-2.0-only", "GPL-3.0-only", "GPL-3.0-or-later", "LGPL-3.0-only",
    "MPL-2.0", "OGL-UK-3.0", "LicenseRef-public-domain", "LicenseRef-proprietary-licensed",
}
_NO_ATTRIBUTION = {"CC0-1.0", "Unlicense", "PDDL-1.0", "CC-PDDC", "LicenseRef-public-domain"}
_SHARE_ALIKE = re.compile(r"(-SA-|^ODbL|^CDLA-Sharing|^GPL|^LGPL|^MPL)")
_RANK = {"commercial": 0, "academic": 1, "non-commercial": 2, "unspecified": 3}


@dataclass(frozen=True)
class LicenceInfo:
    expression: str
    use: str                    # commercial | non-commercial | academic | unspecified
    requires_attribution: bool
    share_alike: bool


def licence_use(key: str) -> str:
    if key in _COMMERCIAL:
        return "commercial"
    if _NON_COMMERCIAL.match(key):
        return "non-commercial"
    if key in _ACADEMIC:
        return "academic"
    return "unspecified"


@lru_cache(maxsize=1)
def _licensing():
    from license_expression import get_spdx_licensing
    return get_spdx_licensing()


_CC_PARTS = (("attribution", "BY"), ("noncommercial", "NC"), ("sharealike", "SA"),
             ("noderivatives", "ND"), ("noderivs", "ND"))
_FILLER = {"license", "licence", "licensed", "version", "the", "international", "generic",
           "unported", "public", "v"}


def suggest_licence(text: str) -> str | None:
    """The SPDX id a licence's plain name most likely means ("Creative Commons
    Attribution 4.0" -> "CC-BY-4.0", "Apache License 2.0" -> "Apache-2.0"), or None."""
    import difflib
    low = re.sub(r"[-_/]", " ", text.lower()).replace("non commercial", "noncommercial") \
        .replace("share alike", "sharealike").replace("no derivatives", "noderivatives")
    version = re.search(r"\d+(?:\.\d+)?", low)
    version = (version.group(0) + (".0" if "." not in version.group(0) else "")) if version else "4.0"
    keys = {k.lower(): k for k in _licensing().known_symbols if not k.startswith("LicenseRef")}
    if "creative commons" in low or re.match(r"cc(\b|0)", low):
        if "zero" in low or "cc0" in low:
            return "CC0-1.0"
        tokens = set(low.split())
        parts = ["BY"] + [code for word, code in _CC_PARTS[1:]
                          if word in low or code.lower() in tokens]
        candidate = "CC-" + "-".join(dict.fromkeys(parts)) + "-" + version
        return keys.get(candidate.lower())
    words = [re.sub(r"^v(?=\d)", "", w) for w in re.findall(r"[a-z0-9.+]+", low)
             if w not in _FILLER]
    candidate = "-".join(words)
    if candidate in keys:
        return keys[candidate]
    close = difflib.get_close_matches(candidate, list(keys), n=1, cutoff=0.75)
    return keys[close[0]] if close else None


@lru_cache(maxsize=4096)
def classify(expression: str) -> LicenceInfo:
    """Parse an SPDX expression. ``A OR B`` grants the most permissive use of the two,
    ``A AND B`` the most restrictive. Raises RecordRejected(INVALID_LICENCE)."""
    from license_expression import OR, ExpressionError, LicenseSymbol
    licensing = _licensing()
    try:
        parsed = licensing.parse(expression)
    except ExpressionError:
        raise RecordRejected(Reason.INVALID_LICENCE, "licence is not a valid SPDX expression") from None
    if parsed is None:
        raise RecordRejected(Reason.MISSING_LICENCE, "licence is empty")
    unknown = [k for k in licensing.unknown_license_keys(parsed) if not k.startswith("LicenseRef-")]
    if unknown:
        raise RecordRejected(Reason.INVALID_LICENCE, "licence names an unknown SPDX id")

    def use_of(node) -> str:
        if isinstance(node, LicenseSymbol):
            return licence_use(node.key)
        uses = [use_of(arg) for arg in node.args]
        pick = min if isinstance(node, OR) else max  # AND: the most restrictive use
        return pick(uses, key=_RANK.__getitem__)
    keys = licensing.license_keys(parsed)
    return LicenceInfo(
        expression=parsed.render(),
        use=use_of(parsed),
        requires_attribution=any(k not in _NO_ATTRIBUTION for k in keys),
        share_alike=any(_SHARE_ALIKE.search(k) for k in keys),
    )
