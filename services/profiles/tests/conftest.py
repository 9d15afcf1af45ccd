import sys
from pathlib import Path

# The service's code is a Lambda CodeUri, not an installed package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
