"""Before a run reads data for real: profiling a source for `privenance init`
(source_profile.py), checking what the manifest and policy declare (declarations.py), and
`privenance check`'s dry run of the gates on a sample (dryrun.py)."""
