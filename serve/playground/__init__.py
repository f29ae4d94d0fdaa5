"""The browser playground served by the app at ``/`` (see :mod:`serve.playground.router`)."""
