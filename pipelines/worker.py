"""The command a local multi-processing run starts each Beam SDK worker with: Beam's
own ``sdk_worker_main``, with the worker's log records going to the runner only.

Without a handler of its own, the worker's root logger gets a stderr handler from
the first module-level ``logging.warning`` of Beam's import, and then every INFO
line of the harness lands on the user's terminal. Only for the in-process runner's
local workers (pipelines/pipeline.py ``beam_options``); other runners start their
workers their own way.
"""
import logging
import runpy

if __name__ == "__main__":
    logging.getLogger().addHandler(logging.NullHandler())
    runpy.run_module("apache_beam.runners.worker.sdk_worker_main", run_name="__main__",
                     alter_sys=True)
