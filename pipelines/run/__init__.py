"""One run: the Beam graph and its driver (driver.py), progress (progress.py), the
representation counts and governance facts run.json records (representation.py), and the
command a local worker starts with (worker.py)."""
