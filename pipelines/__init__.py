"""Beam pipelines, one room per step of the flow:

- record.py      the record the pipeline carries, a step over it, its quarantine row
- read/          sources into records (format parsers, Beam transform)
- steps/         tagging, policy gates and minimisation, and their Beam transform
- anonymize/     Presidio engine, recognizers, operators, spaCy pipeline, Beam transform
- write/         deterministic Parquet outputs
- run/           the graph and driver of one run, progress, accounting
- runners/       what one Beam runner needs and the others do not
- preflight/     `init` and `check`: source profiling, declared columns, dry run
"""
