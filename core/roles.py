"""Who may do what: the staff role groups, said once (README, "Roles")."""

from __future__ import annotations

from core.tables import Role

ALL_STAFF = (Role.contractor_staff, Role.contractor_lead, Role.city_reviewer, Role.admin)
"""Every signed-in role: reads venues, plans, results, yields, reports and publicity figures."""

EDITORS = (Role.contractor_staff, Role.contractor_lead, Role.admin)
"""The contractor's work: venues and imports, drafts of plans, publicity, check-in, results and reports."""

CONTRACTORS = (Role.contractor_staff, Role.contractor_lead)
"""The contractor's side of the review: submit a plan, start a change after approval."""

REVIEWERS = (Role.city_reviewer,)
"""The city's side of the review: comment, approve, return."""

AUDIT_READERS = (Role.contractor_lead, Role.city_reviewer, Role.admin)
"""Oversight: the audit log and the personal-data deletion page."""

OUTBOX_READERS = (Role.contractor_lead, Role.admin)
"""The outgoing emails (residents' addresses masked)."""

STAFFING_READERS = (Role.contractor_lead,)
"""The contractor lead's planning of the counter's windows (issue 19: the staffing chart)."""

OFFICE_KEEPERS = (Role.contractor_lead, Role.admin)
"""The counter's offices: hours, waiting-lamp thresholds, services and designated days (issue 19)."""

BOOTH_KEEPERS = (Role.contractor_lead, Role.admin)
"""A booth's bookable places (more capacity when more staff come; issue 20)."""

ADMINS = (Role.admin,)
"""Staff accounts."""
