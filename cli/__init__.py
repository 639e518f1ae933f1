"""The ``outreach`` command: one module per command group, registered explicitly in ``cli.main``."""
