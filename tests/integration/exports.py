"""Checks of the report stage's standard exports with their official validators:
`mlcroissant` for croissant.json, the OpenLineage JSON schema (vendored, resolved
locally) for openlineage.jsonl. Both run with outbound connections blocked."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import BIN, REPO, SOCKET_GUARD

SPEC_DIR = REPO / "tests" / "data" / "openlineage-spec"   # the official core schema
FACET_DIR = REPO / "lineage" / "facets"                    # privenance's custom facets
# absl log lines: severity letter, then MMDD (I1125 ... / W1125 ... / E1125 ...)
ABSL_PROBLEM = re.compile(r"^[WEF]\d{4} ")


def _offline_env(tmp: Path) -> tuple[dict, Path]:
    """Environment whose Python processes cannot open outbound connections; attempts
    are logged to the returned path."""
    guard = tmp / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(SOCKET_GUARD)
    log = tmp / "net-attempts.log"
    return {**os.environ, "PYTHONPATH": str(guard), "NET_ATTEMPTS_LOG": str(log)}, log


def check_croissant_offline(croissant: Path, certified: Path, tmp: Path) -> int:
    """Run `mlcroissant validate` on ``croissant`` where it lies (exit 0, no warning or
    error), then load its record set with mlcroissant and return the number of records.
    No network is used by either.

    mlcroissant reads a FileSet only below the JSON-LD's own folder, so the records are
    loaded from a copy of the certified directory with the JSON-LD beside the Parquet
    parts and the relative prefix (../certified/<name>/) dropped from its paths."""
    env, log = _offline_env(tmp)
    result = subprocess.run([str(BIN / "mlcroissant"), "validate", "--jsonld", str(croissant)],
                            capture_output=True, text=True, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Done." in output, output
    problems = [line for line in output.splitlines() if ABSL_PROBLEM.match(line)]
    assert not problems, "\n".join(problems)

    beside = tmp / "dataset"
    shutil.copytree(certified, beside)
    prefix = Path(os.path.relpath(certified, croissant.parent)).as_posix() + "/"
    text = croissant.read_text(encoding="utf-8")
    assert f'"{prefix}' in text
    (beside / "croissant.json").write_text(text.replace(f'"{prefix}', '"'), encoding="utf-8")
    code = ("import sys, mlcroissant as mlc\n"
            "ds = mlc.Dataset(sys.argv[1])\n"
            "print(sum(1 for _ in ds.records('records')))\n")
    loaded = subprocess.run([sys.executable, "-c", code, str(beside / "croissant.json")],
                            capture_output=True, text=True, env=env, cwd=tmp)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert not log.exists(), log.read_text()
    return int(loaded.stdout.strip().splitlines()[-1])


def _registry():
    """The vendored OpenLineage core schema and our facet schemas, by their $id. No
    retrieval function: a $ref to anything else fails instead of going to the network."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
    schemas = [json.loads(p.read_text()) for p in
               [SPEC_DIR / "OpenLineage.json", *sorted(FACET_DIR.glob("*.json"))]]
    return Registry().with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in schemas)


def _facets(event: dict):
    """(name, facet) for every facet of a run event."""
    yield from (event.get("run", {}).get("facets") or {}).items()
    yield from (event.get("job", {}).get("facets") or {}).items()
    for dataset in event.get("inputs", []) + event.get("outputs", []):
        for bag in ("facets", "inputFacets", "outputFacets"):
            yield from (dataset.get(bag) or {}).items()


def validate_openlineage_events(events: list[dict]) -> dict[str, int]:
    """Validate each event against the schema its schemaURL names (the core RunEvent,
    which also requires _producer and _schemaURL of every facet), and each facet whose
    schema is vendored against that schema. Returns how many facets of each name were
    checked against their own schema. Raises AssertionError listing every error."""
    from jsonschema import Draft202012Validator
    registry = _registry()
    checker = Draft202012Validator.FORMAT_CHECKER

    def errors(url: str, instance: dict) -> list[str]:
        validator = Draft202012Validator({"$ref": url}, registry=registry, format_checker=checker)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(instance)]

    problems, checked = [], {}
    for i, event in enumerate(events):
        assert event["schemaURL"].startswith("https://openlineage.io/spec/2-0-2/OpenLineage.json#")
        problems += [f"event {i}: {e}" for e in errors(event["schemaURL"], event)]
        for name, facet in _facets(event):
            if facet["_schemaURL"].split("#")[0] in registry:
                problems += [f"event {i} facet {name}: {e}" for e in errors(facet["_schemaURL"], facet)]
                checked[name] = checked.get(name, 0) + 1
    assert not problems, "\n".join(problems)
    return checked


def raw_identifiers(raw: Path) -> set[str]:
    """Personal identifiers in the demo's raw sources: the structured columns, and the
    emails, HKIDs, phone numbers and names inside the free text (from the generator's
    sentence templates)."""
    import pyarrow.parquet as pq
    tickets = [json.loads(line) for line in (raw / "tickets.jsonl").read_text().splitlines()
               if line.startswith("{") and line.endswith("}")]
    with open(raw / "forum.csv", newline="", encoding="utf-8") as f:
        posts = list(csv.DictReader(f))
    values = {t[k] for t in tickets for k in ("customer_email", "hkid") if t.get(k)}
    values |= {p["author_handle"] for p in posts}
    texts = [t.get("body") or "" for t in tickets] + [p["text"] for p in posts]
    texts += pq.read_table(raw / "interviews.parquet", columns=["transcript"]).column(0).to_pylist()
    patterns = [r"[\w.+-]+@[\w-]+\.[\w.]+", r"[A-Z]{1,2}\d{6}\([0-9A]\)",
                r"(?:\+852 |\(852\) )?\d{4}[- ]?\d{4}", r"this is ([^.]+)\.", r"Customer ([^,]+),",
                r"^(.+?) reported", r"spoke with (.+?) \(", r"^(.+?) wrote:", r"客戶(.+?)先生"]
    for text in texts:
        for pattern in patterns:
            for match in re.findall(pattern, text, flags=re.M):
                values.add(match.strip())
                if re.fullmatch(r"[\d+() -]+", match):
                    values.add(re.sub(r"\D", "", match)[-8:])  # the bare digits too
    return {v for v in values if len(v) >= 4}
