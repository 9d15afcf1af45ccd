"""The web console: server-rendered pages that show and drive the local cloud.

Served by the AWS endpoint under ``/_console/`` (``mount.py``), guarded by its own
Host/Origin/CSRF rules (``guard.py``); each view is one module reading the services
through the in-process AWS client or the observer's stores. No build step: HTML is
made by Python functions (``html.py``), charts and graphs are inline SVG (``svg.py``),
and the one front-end library is htmx, vendored from its npm package (``static/``).
"""

PREFIX = "/_console"
