"""The staff console (issue 14): server-rendered pages for the property office, under ``/console``.

``auth`` (sessions, roles, CSRF), ``accounts`` (staff accounts, lockout), ``audit`` (the append-only log),
``pages`` (Jinja2 and ``render``), ``router`` (``console_router``; areas plug in there). See docs/console.md.
"""
