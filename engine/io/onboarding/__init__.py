"""Onboarding a region from files (``leanschool import orgs|users|participants FILE``).

Two phases over one unit of work:

- ``plan_organizations`` / ``plan_users`` read the table (engine.io.tabular), check every row
  against the columns and the database, and return a Plan: per row an outcome (create,
  update, unchanged) or the row's errors (row number as Excel shows it, column, reason);
- ``apply_plan`` runs the planned steps through the admin services, each writing its
  audit event, all in the caller's ONE transaction (the services' own commits only
  flush). The caller commits, or does not (a dry run, refused rows, a crash).

Natural keys make a second run of the same file create nothing: an organisation is found
by its ИНН, else by (municipality, name); a user by e-mail; a role grant by (user, role,
organisation or region). A changed name, kind or municipality updates the row. An import
adds grants, it never takes one away, and never touches an existing user's password.

A municipality must exist in the region already (the API's ``POST /municipalities``, or
the demo, creates them): an unknown name is the row's error, and the report lists the
region's municipalities; with ``create_missing`` (``--create-missing``) the organisations'
import creates the region it is given and the municipalities the file names instead.
Names match ignoring case, spaces, quotes and ё/е, and without
«г.» / «район» when that is still unambiguous («Орёл» finds «г. Орёл»).

Participants (``import participants FILE --programme ID``) join a programme: organisations
that exist already, found by ИНН or (municipality, name); see ``participants``.

Modules: ``common`` (columns, matching, the plan, applying it), ``orgs``, ``users``, ``participants``;
engine.io.tabular reads the files.
"""
from engine.io.onboarding.common import (
    ORG_COLUMNS,
    PARTICIPANT_COLUMNS,
    USER_COLUMNS,
    Plan,
    RowError,
    RowFailed,
    apply_plan,
)
from engine.io.onboarding.orgs import plan_organizations
from engine.io.onboarding.participants import plan_participants
from engine.io.onboarding.users import plan_users

__all__ = ["ORG_COLUMNS", "PARTICIPANT_COLUMNS", "USER_COLUMNS", "Plan", "RowError", "RowFailed", "apply_plan",
           "plan_organizations", "plan_participants", "plan_users"]
