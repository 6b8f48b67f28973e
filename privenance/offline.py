"""Keep every engine offline: no downloads, telemetry or update checks at run time."""
from __future__ import annotations

import os

OFFLINE_ENV = {
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",  # empty: use the bundled suffix snapshot
    "DVC_NO_ANALYTICS": "1",
    "DVC_NO_UPDATE_CHECK": "1",
    "GX_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "SPACY_WARNING_IGNORE": "W095",
}


def go_offline() -> None:
    """Set the environment before the engines are imported, and replace tldextract's
    module-level extractor (built at import) with one that never fetches."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    try:
        import tldextract.tldextract as tx
    except ImportError:
        return
    if not getattr(tx.TLD_EXTRACTOR, "_privenance_offline", False):
        tx.TLD_EXTRACTOR = tx.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                         fallback_to_snapshot=True)
        tx.TLD_EXTRACTOR._privenance_offline = True
