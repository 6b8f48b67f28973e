"""The only module that imports great_expectations (slow to import, and its API
changes between releases). Runs suites of ``Check``s on a pandas DataFrame and
builds Data Docs. Results use BASIC with no sample of unexpected values: a failing
expectation says how many rows failed, and no row value reaches the results, the
Data Docs or the summary."""
from __future__ import annotations

import hashlib
import pickle
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

from expectations.suites import Check

# BASIC gives unexpected_count / unexpected_percent; GE would also keep a sample of the
# failing values (partial_unexpected_list, 20 by default): ask for none
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}
# result keys that would carry row values or row positions; none may reach the docs
VALUE_KEYS = ("unexpected_list", "partial_unexpected_list", "partial_unexpected_counts",
              "unexpected_index_list", "partial_unexpected_index_list", "unexpected_rows",
              "unexpected_index_query")
_CUSTOM: dict = {}


def custom_expectations() -> dict:
    """Our own expectations, defined on first use (defining them imports GE).

    ExpectColumnValuesToHaveNoResidualIdentifiers (DPP4): a text cell holds no direct
    identifier that privenance's high-precision recognizers find, our own
    pseudonyms aside (the same check the pipeline's residual scan makes)."""
    if not _CUSTOM:
        import numpy as np
        import pandas as pd
        from great_expectations.execution_engine import PandasExecutionEngine
        from great_expectations.expectations.expectation import ColumnMapExpectation
        from great_expectations.expectations.metrics import (ColumnMapMetricProvider,
                                                             column_condition_partial)
        from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent
        from great_expectations.render.renderer.renderer import renderer

        from privenance.identifiers import residual_flags

        class ColumnValuesHaveNoResidualIdentifiers(ColumnMapMetricProvider):
            condition_metric_name = "column_values.privenance_no_residual_identifiers"

            @column_condition_partial(engine=PandasExecutionEngine)
            def _pandas(cls, column, **kwargs):
                # find_residual on each text, with a prefilter that cannot miss
                # integers too: a card number can arrive as one
                values = [str(v) if isinstance(v, int) and not isinstance(v, bool)
                          else "\n".join(map(str, v)) if isinstance(v, (list, np.ndarray))
                          else v for v in column.tolist()]
                return pd.Series([not r for r in residual_flags(values)],
                                 index=column.index, dtype=bool)

        class ExpectColumnValuesToHaveNoResidualIdentifiers(ColumnMapExpectation):
            """Text holds no residual direct identifier (privenance recognizers)."""

            map_metric = "column_values.privenance_no_residual_identifiers"
            success_keys = ("mostly",)

            @classmethod
            @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
            def _prescriptive_renderer(cls, configuration=None, result=None,
                                       runtime_configuration=None, **kwargs):
                return [RenderedStringTemplateContent(
                    content_block_type="string_template",
                    string_template={"template": "$column values must hold no direct identifier "
                                                 "(privenance residual recognizers).",
                                     "params": {"column": configuration.kwargs["column"]}})]

        _CUSTOM["ExpectColumnValuesToHaveNoResidualIdentifiers"] = \
            ExpectColumnValuesToHaveNoResidualIdentifiers
    return _CUSTOM


def _defer_unused_imports() -> None:
    """Load scipy.stats only when something uses it. GE imports it for distribution
    expectations we never run (KL divergence, KS tests): about 2 s of a small
    validation's start-up. Python's own LazyLoader: the module runs on first use."""
    import importlib.util
    import sys
    for name in ("scipy.stats",):
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            continue
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        parent, _, child = name.rpartition(".")
        setattr(sys.modules[parent], child, module)


def run_suites(df, suites: dict[str, list[Check]], out_dir: Path | None,
               progress=None) -> dict[str, dict]:
    """Validate ``df`` against every suite; with ``out_dir``, also write Data Docs to
    ``out_dir/data_docs``. Returns {suite: {success, evaluated, failed,
    failed_expectations, failed_rows}}. ``progress(step, done, total)`` is told
    of each step (loading GE, each suite, Data Docs)."""
    from privenance.offline import go_offline
    progress = progress or (lambda step, done, total: None)
    total = len(suites) + 1 + (out_dir is not None)
    progress("loading Great Expectations", 0, total)
    go_offline()
    _defer_unused_imports()
    import great_expectations as gx

    if out_dir is not None:
        project = Path(out_dir) / ".gx-project"
        if project.exists():
            shutil.rmtree(project)
        context = gx.get_context(mode="file", project_root_dir=str(project))
    else:
        context = gx.get_context(mode="ephemeral")
    from great_expectations.data_context.types.base import ProgressBarsConfig
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # our CLI reports instead
    batch_definition = (context.data_sources.add_pandas("staged")
                        .add_dataframe_asset(name="dataset")
                        .add_batch_definition_whole_dataframe("whole"))
    results = {}
    with _fingerprint_once(df):
        for done, (name, checks) in enumerate(suites.items(), start=1):
            progress(f"suite {name}", done, total)
            results[name] = _run_suite(context, batch_definition, df, name, checks)
    if out_dir is not None:
        progress("Data Docs", total, total)
        write_data_docs(context, project, Path(out_dir) / "data_docs", results)
    return results


def _run_suite(context, batch_definition, df, name: str, checks: list[Check]) -> dict:
    """Validate ``df`` against one suite (stored in ``context`` for Data Docs)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    suite = context.suites.add(gx.ExpectationSuite(name=name))
    for check in checks:
        expectation = custom_expectations().get(check.expectation) or getattr(gxe, check.expectation)
        suite.add_expectation(expectation(**check.kwargs))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{name}-check", data=batch_definition, suite=suite))
    outcome = definition.run(batch_parameters={"dataframe": df}, result_format=RESULT_FORMAT)
    failed, failed_rows = [], {}
    for r in outcome.results:
        leaked = [k for k in VALUE_KEYS if (r.result or {}).get(k)]
        if leaked:  # fail closed: GE changed what BASIC keeps; never write such results
            raise RuntimeError(f"Great Expectations returned row values ({', '.join(leaked)})")
        if r.success:
            continue
        label = r.expectation_config.type + (f"({r.expectation_config.kwargs['column']})"
                                             if "column" in r.expectation_config.kwargs else "")
        failed.append(label)
        if isinstance((r.result or {}).get("unexpected_count"), int):
            failed_rows[label] = r.result["unexpected_count"]
    return {"success": bool(outcome.success), "evaluated": len(outcome.results),
            "failed": len(failed), "failed_expectations": failed, "failed_rows": failed_rows}


class _Md5Sink:
    """A file-like object that only feeds what is written to it into an md5."""

    def __init__(self):
        self.md5 = hashlib.md5(usedforsecurity=False)

    def write(self, data) -> int:
        self.md5.update(data)
        return memoryview(data).nbytes


def batch_fingerprint(frame) -> str:
    """What GE's pandas engine records as ``pandas_data_fingerprint`` (its
    ``hash_pandas_dataframe``: md5 of pandas' row hashes or, when a column holds lists
    as ours do, of the frame's pickle), with the pickle streamed into md5 rather than
    held in memory (800 MB at 1M rows). Same bytes, same value."""
    import pandas as pd
    try:
        return hashlib.md5(pd.util.hash_pandas_object(frame, index=True).values,
                           usedforsecurity=False).hexdigest()
    except TypeError:
        sink = _Md5Sink()
        pickle.Pickler(sink, pickle.HIGHEST_PROTOCOL).dump(frame)
        return sink.md5.hexdigest()


@contextmanager
def _fingerprint_once(df):
    """GE fingerprints the batch's DataFrame each time a suite gets its batch (about
    10 s a suite at 1M rows). Every suite validates this same, unchanged frame: work
    the fingerprint out once, with batch_fingerprint. Data Docs show the same value."""
    from great_expectations.execution_engine import pandas_execution_engine as engine
    original, memo = engine.hash_pandas_dataframe, {}

    def once(frame):
        if frame is not df:
            return original(frame)
        if "md5" not in memo:
            memo["md5"] = batch_fingerprint(frame)
        return memo["md5"]
    engine.hash_pandas_dataframe = once
    try:
        yield
    finally:
        engine.hash_pandas_dataframe = original


def write_data_docs(context, project: Path, docs: Path, results: dict) -> None:
    """Build the Data Docs of the validations just run into ``docs``, made offline,
    and remove GE's working files (config and stores, not results)."""
    context.build_data_docs()
    site = project / "gx" / "uncommitted" / "data_docs" / "local_site"
    if docs.exists():
        shutil.rmtree(docs)
    shutil.copytree(site, docs)
    shutil.rmtree(project)
    make_offline(docs, results)


_REMOTE = re.compile(r'<link[^>]+href="https?://[^"]*"[^>]*>|<script[^>]+src="https?://[^"]*"[^>]*>\s*</script>'
                     r'|<img[^>]+src="https?://[^"]*"[^>]*>')  # incl. GE's logo, a tracking image
# GE's own chrome that is no use to a privacy officer, offline: the newsletter footer,
# the "walkthrough" pop-up's script, and its logo (a stylesheet url() on S3)
_CHROME = re.compile(r"<footer>\s*<p>[^<]*newsletter.*?</footer>"
                     r"|<script>\s*try \{\s*if \(localStorage\.getItem\('ge-walkthrough.*?</script>"
                     r"|background: url\('https?://[^']*'\)[^;]*;", re.DOTALL)
OFFLINE_CSS = """<style>body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1f2933}
table{border-collapse:collapse;margin:8px 0}td,th{border-bottom:1px solid #e4e7eb;padding:4px 8px;text-align:left}
.ok{color:#207227;font-weight:600}.bad{color:#a61b1b;font-weight:600}a{color:#2680c2}
.fa-check-circle::before{content:"\\2714";color:#207227}.fa-times::before,.fa-times-circle::before{content:"\\2718";color:#a61b1b}
</style>"""  # the last line stands in for GE's icon font (a CDN stylesheet)


def make_offline(docs: Path, results: dict) -> None:
    """GE's pages load Bootstrap and bootstrap-table from CDNs, so offline the index is
    an empty shell. Drop the remote tags (nothing may call out) and GE's newsletter
    and pop-up, add a small inline stylesheet, and replace GE's index by a static
    one linking every suite's pages with its failing expectations and row counts."""
    import html
    for page in docs.rglob("*.html"):
        text = _CHROME.sub("", _REMOTE.sub("", page.read_text(encoding="utf-8")))
        page.write_text(text.replace("</head>", OFFLINE_CSS + "</head>", 1), encoding="utf-8")
    for css in docs.rglob("*.css"):
        css.write_text(_CHROME.sub("", css.read_text(encoding="utf-8")), encoding="utf-8")
    (docs / "index.html").unlink()  # GE's index: an empty shell without its CDN scripts
    rows = []
    for name, result in sorted(results.items()):
        runs = sorted((docs / "validations" / name).rglob("*.html"))
        validation = runs[-1].relative_to(docs).as_posix() if runs else None
        status = '<span class="ok">pass</span>' if result["success"] else '<span class="bad">fail</span>'
        rows_failed = result.get("failed_rows", {})
        failed = "; ".join(html.escape(e) + (f" ({rows_failed[e]:,} rows)" if e in rows_failed else "")
                           for e in result["failed_expectations"]) or "none"
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{status}</td><td>{result['evaluated']}</td>"
                    f"<td>{failed}</td><td>" + (f'<a href="{validation}">result</a> · ' if validation else "")
                    + f'<a href="expectations/{html.escape(name)}.html">expectations</a></td></tr>')
    (docs / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>privenance validation</title>"
        f"{OFFLINE_CSS}</head><body><h1>Validation: Data Protection Principles</h1>"
        "<table><tr><th>suite</th><th>result</th><th>expectations</th><th>failed</th><th>pages</th></tr>"
        + "".join(rows) + "</table><p>Failing rows are counted, never shown: no value of the "
        "dataset is in these pages.</p></body></html>",
        encoding="utf-8")
