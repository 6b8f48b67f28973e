
import pytest

from privenance.errors import ConfigError
from privenance.policy import load_policy
from privenance.sources import load_sources
from tests.helpers import REPO



def test_default_policy_loads_and_hash_is_stable():
    a = load_policy(REPO / "policies" / "default.yaml")
    b = load_policy(REPO / "policies" / "default.yaml")
    assert a.name == "default" and a.sha256 == b.sha256 and len(a.sha256) == 64
    assert a.rule_for("PERSON").operator == "surrogate"


def test_unknown_operator_names_file_line_and_field(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("name: x\nanonymization:\n  entities:\n    PERSON: {operator: shred}\n")
    with pytest.raises(ConfigError) as err:
        load_policy(p)
    msg = str(err.value)
    assert msg.startswith(f"{p}:4: anonymization.entities.PERSON.operator:")
    assert "unknown operator 'shred'" in msg


def test_misspelt_field_is_reported_not_ignored(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("name: x\nlicences:\n  allowed_use: [commercial]\n")
    with pytest.raises(ConfigError) as err:
        load_policy(p)
    assert ":3: licences.allowed_use: unknown field" in str(err.value)


def _billion_laughs(levels: int = 9) -> str:
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        lines.append(f"lol{n}: &lol{n} [" + ", ".join([f"*lol{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("loader", ["load_policy", "load_sources"])
def test_billion_laughs_is_refused_quickly(tmp_path, loader):
    import subprocess
    import sys
    import time
    p = tmp_path / "bomb.yaml"
    p.write_text("name: bomb\n" + _billion_laughs())  # 9**9 values once expanded
    # in a process of its own, so its peak memory is the load's alone: VmHWM, the peak
    # of this program's memory (ru_maxrss would carry the forking test process's peak)
    probe = (f"import re\nfrom privenance.errors import ConfigError\n"
             f"from privenance.policy import load_policy\n"
             f"from privenance.sources import load_sources\n"
             f"try:\n    {loader}({str(p)!r})\nexcept ConfigError as e:\n    print(e)\n"
             f"print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])")
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, cwd=REPO).stdout.splitlines()
    assert time.monotonic() - start < 10
    assert "expands to more than" in out[0]
    assert int(out[-1]) < 500_000  # KB: the bomb would take gigabytes


def test_yaml_aliases_within_bounds_still_work(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("name: x\nanonymization:\n  allow_list: {terms: &t [a, b]}\n"
                 "  recognizers:\n    - {name: r, supported_entity: X, deny_list: *t}\n")
    policy = load_policy(p)
    assert policy.anonymization.recognizers[0].deny_list == ["a", "b"]


def test_huge_or_deeply_nested_yaml_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("name: x\n# " + "x" * (3 * 1024 * 1024) + "\n")
    with pytest.raises(ConfigError, match="larger than"):
        load_policy(big)
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: " + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_policy(deep)


def test_invalid_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_policy(bad)
    with pytest.raises(ConfigError, match="file not found"):
        load_policy(tmp_path / "nope.yaml")


def test_extends_merges_and_child_overrides(tmp_path):
    (tmp_path / "base.yaml").write_text("name: base\nk_anonymity: {k: 2, quasi_identifiers: [a]}\n")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nname: child\nk_anonymity: {k: 5}\n")
    p = load_policy(tmp_path / "child.yaml")
    assert (p.name, p.k_anonymity.k, p.k_anonymity.quasi_identifiers) == ("child", 5, ["a"])


def test_extends_cycle_is_a_config_error(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_policy(tmp_path / "a.yaml")


def test_sources_manifest_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.jsonl").write_text("{}\n")
    m = tmp_path / "s.yaml"
    m.write_text("sources:\n  - id: a\n    path: x.jsonl\n  - id: a\n    path: x.jsonl\n")
    with pytest.raises(ConfigError, match="declared twice"):
        load_sources(m)
    m.write_text("sources:\n  - id: a\n    path: x.txt\n")
    with pytest.raises(ConfigError, match="cannot tell the format"):
        load_sources(m)
    m.write_text("sources:\n  - id: a\n    path: missing.csv\n")
    with pytest.raises(ConfigError, match="source file not found"):
        load_sources(m)
    m.write_text("sources:\n  - id: a\n    path: x.jsonl\n    retain_until: 2024-02-31\n")
    with pytest.raises(ConfigError) as err:
        load_sources(m)
    assert ":4: sources.0.retain_until" in str(err.value)
