"""The JSON API under ``/api`` (DESIGN §5) with its hand-written schemas, and ``/healthz``."""
