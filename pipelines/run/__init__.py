"""One run: what it is asked (options.py: RunOptions, Beam's options), the Beam graph as
one composite (graph.py), its driver (driver.py), the accounting and publishing
(accounting.py), progress (progress.py), the representation counts and governance facts
run.json records (representation.py), and the command a local worker starts with
(worker.py)."""
