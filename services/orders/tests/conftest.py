import sys
from pathlib import Path

# The service's code and its layer are Lambda CodeUri / ContentUri, not installed packages.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "layers" / "shared" / "python")]
