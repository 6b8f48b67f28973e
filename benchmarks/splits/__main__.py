"""python -m benchmarks.splits [DATA]: write the validation id lists (see __init__)."""
import sys
from pathlib import Path

from benchmarks.splits import HERE, write_lists

write_lists(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "data" / "real_dev")
