"""The only module that imports great_expectations (slow to import, and its API
changes between releases). Runs suites of ``Check``s on a pandas DataFrame and
builds Data Docs. Results use BOOLEAN_ONLY, so no row values reach the results,
the Data Docs or the summary."""
from __future__ import annotations

import shutil
from pathlib import Path

from expectations.suites import Check

RESULT_FORMAT = {"result_format": "BOOLEAN_ONLY"}


def run_suites(df, suites: dict[str, list[Check]], out_dir: Path | None) -> dict[str, dict]:
    """Validate ``df`` against every suite; with ``out_dir``, also write Data Docs to
    ``out_dir/data_docs``. Returns {suite: {success, evaluated, failed, failed_expectations}}."""
    from privenance.offline import go_offline
    go_offline()
    import great_expectations as gx
    import great_expectations.expectations as gxe

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
    for name, checks in suites.items():
        suite = context.suites.add(gx.ExpectationSuite(name=name))
        for check in checks:
            suite.add_expectation(getattr(gxe, check.expectation)(**check.kwargs))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{name}-check", data=batch_definition, suite=suite))
        outcome = definition.run(batch_parameters={"dataframe": df}, result_format=RESULT_FORMAT)
        failed = [r.expectation_config.type + (f"({r.expectation_config.kwargs['column']})"
                                              if "column" in r.expectation_config.kwargs else "")
                  for r in outcome.results if not r.success]
        results[name] = {"success": bool(outcome.success), "evaluated": len(outcome.results),
                         "failed": len(failed), "failed_expectations": failed}
    if out_dir is not None:
        context.build_data_docs()
        site = project / "gx" / "uncommitted" / "data_docs" / "local_site"
        docs = Path(out_dir) / "data_docs"
        if docs.exists():
            shutil.rmtree(docs)
        shutil.copytree(site, docs)
        shutil.rmtree(project)  # GE's working files: config and stores, not results
    return results
