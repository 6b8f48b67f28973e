"""What an image file says of its own making: its C2PA manifest (read with c2pa-python,
offline: no remote manifest or certificate status is fetched), or, without one, the
IPTC digital source type in its XMP.

From the active manifest: the validation state (``valid``, ``trusted``, or ``invalid``
for a tampered or broken one), the digital source type of its actions, and the CAWG
training-and-data-mining assertion, of which the most restrictive use for training or
mining is kept (``notAllowed`` or ``constrained``; ``allowed`` and absent are None).
No manifest proves nothing: ``none`` says only that the file carries no claim.
"""
from __future__ import annotations

import functools
import io
import json
import re
from dataclasses import dataclass

# the assertion's label (CAWG 1.x and the older C2PA one) and its entries on training
# and mining; inference is not training, so it is not read
TRAINING_ASSERTIONS = ("cawg.training-mining", "c2pa.training-mining")
TRAINING_USES = ("ai_training", "ai_generative_training", "data_mining")
RESTRICTIVE = ("notAllowed", "constrained")  # most restrictive first

_SOURCE_TYPE = re.compile(rb"digitalsourcetype/([A-Za-z]{1,64})", re.IGNORECASE)
_XMP_CHARS = 1 << 20  # XMP read for the source type (bounded)

# c2pa-python settings: verify offline (no remote manifest, no OCSP)
_OFFLINE = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


@dataclass(frozen=True)
class Credentials:
    state: str = "none"              # none | valid | trusted | invalid
    source_type: str | None = None   # IPTC digital source type, short code
    training: str | None = None      # notAllowed | constrained | None


def source_type_of(text: bytes | str | None) -> str | None:
    """The IPTC digital source type named in XMP or an action (short code), if any."""
    if not text:
        return None
    raw = text.encode() if isinstance(text, str) else text
    match = _SOURCE_TYPE.search(raw[:_XMP_CHARS])
    return match.group(1).decode() if match else None


def from_manifest_store(store: dict) -> Credentials:
    """Credentials from a C2PA manifest store as c2pa-python's ``Reader.json()`` gives it."""
    manifest = (store.get("manifests") or {}).get(store.get("active_manifest") or "") or {}
    if not manifest:
        return Credentials("invalid")  # a store without its active manifest proves nothing
    source_type, training = _assertions(manifest)
    return Credentials(_validation_state(store), source_type, training)


def _validation_state(store: dict) -> str:
    """valid, trusted or invalid: the reader's state, or its status codes."""
    state = str(store.get("validation_state") or "").lower()
    if state not in ("valid", "trusted"):
        # older readers give only a status list: any failure code makes it invalid
        failures = [s for s in store.get("validation_status") or []
                    if "success" not in str(s.get("code", "")) and s.get("code")]
        state = "invalid" if state == "invalid" or failures else "valid"
    return state


def _assertions(manifest: dict) -> tuple[str | None, str | None]:
    """The digital source type its actions name first, and the most restrictive
    training-and-mining use its assertions give."""
    source_type, training = None, None
    for assertion in manifest.get("assertions") or []:
        label, data = str(assertion.get("label", "")), assertion.get("data") or {}
        if label.startswith("c2pa.actions"):
            for action in data.get("actions") or []:
                source_type = source_type or source_type_of(action.get("digitalSourceType"))
        elif label.split(".v")[0] in TRAINING_ASSERTIONS:
            training = _most_restrictive(training, _training_use(data))
    return source_type, training


def _training_use(data: dict) -> str | None:
    entries = data.get("entries") or {}
    uses = [str((entry or {}).get("use", "")) for key, entry in entries.items()
            if key.split(".", 1)[-1] in TRAINING_USES and isinstance(entry, dict)]
    return next((r for r in RESTRICTIVE if r in uses), None)


def _most_restrictive(a: str | None, b: str | None) -> str | None:
    return next((r for r in RESTRICTIVE if r in (a, b)), None)


def read_manifest_store(data: bytes, mime: str) -> dict | None:
    """The file's C2PA manifest store as JSON, None without one; a manifest that cannot
    be parsed at all is an empty store (read as invalid)."""
    import c2pa
    try:
        with c2pa.Reader(mime, io.BytesIO(data), context=_offline_context()) as reader:
            return json.loads(reader.json())
    except c2pa.C2paError as exc:
        if "ManifestNotFound" in type(exc).__name__ or str(exc).startswith("ManifestNotFound"):
            return None
        return {}
    except (ValueError, OSError):
        return {}


@functools.lru_cache(maxsize=1)
def _offline_context():
    """One c2pa Context per process, set to verify offline."""
    import c2pa
    return c2pa.Context.from_dict(_OFFLINE)


def read_credentials(data: bytes, mime: str, xmp: bytes | str | None = None) -> Credentials:
    """The picture's credentials: its C2PA manifest's, else the source type in ``xmp``."""
    store = read_manifest_store(data, mime)
    if store is not None:
        found = from_manifest_store(store)
        if found.source_type is None and xmp:
            found = Credentials(found.state, source_type_of(xmp), found.training)
        return found
    return Credentials("none", source_type_of(xmp))
