import sys
from pathlib import Path

# The service's code is a Lambda CodeUri, not an installed package; the fakes sit here.
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]
