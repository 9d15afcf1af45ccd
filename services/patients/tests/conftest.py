import sys
from pathlib import Path

# The service's code and its layers are Lambda CodeUri / ContentUri, not installed packages.
ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("auth", "logging", "metrics", "data")
sys.path[:0] = [
    str(ROOT / "src"),
    *(str(ROOT / "layers" / n / "python") for n in LAYERS),
    str(ROOT / "tests"),  # patients_fakes
]
