"""What detection is known to miss: privenance's benchmark figures (measured on public
labelled corpora, lineage/detection_quality.json) for the settings a run used, and the
report's section that shows them. Not a measurement of the run's own data: the review
sample (lineage/review.py) is."""
from __future__ import annotations

import json
from pathlib import Path

from lineage.html import esc, section, table
from privenance.contracts import RunRecord

DETECTION_QUALITY = Path(__file__).with_name("detection_quality.json")


def profile_of(run: RunRecord) -> str:
    """The detection profile a run used (run.json names the thorough models only then)."""
    return "thorough" if (run.engines or {}).get("thorough_models") else "fast"


def detection_note(run: RunRecord) -> dict:
    """The benchmark's figures for the engines this run used (lineage/detection_quality.json)."""
    quality = json.loads(DETECTION_QUALITY.read_text(encoding="utf-8"))
    engines, profile = run.engines or {}, profile_of(run)
    model, measured_model = engines.get("model") or {}, quality["settings"]["model"]
    differs = []
    if model and (model.get("name"), model.get("version")) != (measured_model["name"],
                                                               measured_model["version"]):
        differs.append(f'this run used the model {model.get("name")} {model.get("version")}, '
                       f'the figures {measured_model["name"]} {measured_model["version"]}')
    names, measured_names = engines.get("names_model"), quality["settings"].get("names_model")
    if names and measured_names and names.get("sha256") != measured_names["sha256"]:
        differs.append(f'this run used the name model {names.get("name")} '
                       f'{str(names.get("sha256"))[:12]}, the figures {measured_names["name"]} '
                       f'{measured_names["sha256"][:12]}')
    if engines.get("presidio-analyzer") not in (None, quality["settings"]["presidio-analyzer"]):
        differs.append(f'this run used presidio-analyzer {engines["presidio-analyzer"]}, the '
                       f'figures {quality["settings"]["presidio-analyzer"]}')
    rows = []
    for c in quality["real_text"]["corpora"]:
        ours = c.get(profile)
        if c.get("needs") and c["needs"] not in engines:
            ours, why = None, "not covered: this run had no Chinese name recognizer"
        else:
            why = None if ours else f"not measured for the {profile} profile"
        rows.append({"corpus": c["corpus"], "records": c["records"], "licence": c["licence"],
                     "vanilla": c["vanilla"], "ours": ours, "note": why})
    return {"profile": profile, "measured": quality["measured"], "caveat": quality["caveat"],
            "split": quality["split"],
            "settings": quality["settings"], "measure": quality["real_text"]["measure"],
            "corpora": rows, "synthetic": quality["synthetic"], "hk_chats": quality["hk_chats"],
            "differs": differs}


def report_section(facts: dict) -> str:
    """The report's section: what detection is known to miss, measured on public corpora
    (not on this data)."""
    d = facts.get("detection")
    if not d:
        return ""
    col = f"privenance, {d['profile']} profile (this run)"
    rows = [[c["corpus"], f'{c["records"]:,}', c["licence"],
             f'{c["vanilla"]["names"]:.1f} % / {c["vanilla"]["damage"]:.1f} %',
             c["note"] or f'{c["ours"]["names"]:.1f} % / {c["ours"]["damage"]:.1f} %'] for c in d["corpora"]]
    syn, hk = d["synthetic"], d["hk_chats"]
    other = "thorough" if d["profile"] == "fast" else "fast"
    differs = "".join(f"<li>{esc(x)}: the figures may not apply.</li>" for x in d["differs"])
    return section("Detection quality: what the benchmark measured", (
        f"<p>These are <b>not measurements of this dataset</b>. They are privenance's benchmark "
        f"figures on public labelled corpora (measured {esc(d['measured'])}, on "
        f"{esc(d['split'])}) for the settings this "
        f"run used: the <b>{esc(d['profile'])}</b> detection profile, spaCy model "
        f"{esc(d['settings']['model']['name'])} {esc(d['settings']['model']['version'])}. They were "
        f"measured under {esc(d['settings']['policy'])}; this run's policy is "
        f"<b>{esc(facts['run'].policy.name)}</b>, and a policy that changes thresholds, "
        f"entities or recognizers changes what is found. {esc(d['caveat'])}</p>"
        + (f"<ul class=warnlist>{differs}</ul>" if differs else "")
        + f"<p class=muted>{esc(d['measure'])}.</p>"
        + table(["corpus", "records", "licence", "vanilla Presidio: names surviving / damage",
                  f"{col}: names surviving / damage"], rows, {1})
        + f"<p>On {esc(syn['corpus'])}: {syn['fast']:.1f} % of direct identifiers "
          f"survive (vanilla Presidio {syn['vanilla']:.1f} %), names {syn['person_fast']:.1f} % "
          f"({syn['person_vanilla']:.1f} %). On {esc(hk['corpus'])}: {hk['identifiers_surviving']:.0f} % "
          f"of identifiers and {hk['names_surviving']:.0f} % of {hk['names']} names survive; "
          f"{hk['clean_lines_changed']:.1f} % of lines without personal data change "
          f"(vanilla {hk['clean_lines_changed_vanilla']:.1f} %).</p>"
        + f"<p class=muted>A name detection missed stays in the text: the residual scan and "
          f"the DPP4 suite check structured identifiers only. The {other} profile "
          f"(anonymization.profile) trades speed for recall differently; see README "
          f"\"Measured\" and benchmarks/DETECTION.md.</p>"))


