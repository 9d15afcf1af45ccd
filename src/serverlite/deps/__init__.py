"""A function's importable world, as ``sam build`` and Lambda would give it.

requirements.py   a requirements.txt (and what it includes) -> a RequirementSet
interpreters.py   the Python a ``python3.x`` runtime runs on here
installer.py      uv (pip as fallback) installing one set into a directory
cache.py          the content-addressed, shared, locked cache of installed sets
runtime_base.py   the runtime's own boto3/botocore, and serverlite's runtime shim
worlds.py         per function: interpreter + ordered sys.path (code, deps, layers,
                  and the public Powertools layers: template/powertools_layers.py)
"""
