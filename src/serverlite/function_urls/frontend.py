"""Where each function URL is served locally, and how the template's URLs point there.

Every ``https://<url-id>.lambda-url.<region>.on.aws/`` the template produced for a
function (``!GetAtt FnUrl.FunctionUrl`` in environment variables and outputs) is
rewritten to the URL's local address, as the APIs' execute-api URLs are
(``gateway/frontend.py``): a function that calls another's URL reaches it here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from serverlite.template.model import Application
from serverlite.template.rewrite import rewrite_strings

_URL = re.compile(r"https://([a-z0-9]{32})\.lambda-url\.[a-z0-9-]+\.on\.aws/?")


def localize(app: Application, local: Mapping[str, str]) -> Application:
    """``local``: url id -> local base URL (``http://127.0.0.1:PORT/``)."""
    if not local:
        return app

    return rewrite_strings(
        app, lambda text: _URL.sub(lambda m: local.get(m.group(1), m.group(0)), text)
    )
