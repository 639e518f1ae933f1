"""Shared foundation below every domain app: settings, errors, i18n, database helpers, audit log, outbox."""
