"""What one Beam runner needs and the others do not (dask_runner.py), and the multi-output
ParDo every runner gets right (tagged_outputs.py)."""
