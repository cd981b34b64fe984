"""The use cases. Every mutation is a function here: it checks policy, validates input,
changes the data and writes its audit event in one transaction (``uow.commit()``)."""
from engine.services.admin import (
    actor_for_token,
    authenticate,
    create_municipality,
    create_organization,
    create_region,
    create_token,
    create_user,
    grant_role,
    revoke_tokens,
    update_organization,
    update_user,
)
from engine.services.common import load_actor
from engine.services.items import (
    add_action,
    add_artefact,
    add_metric,
    add_problem,
    add_team_member,
    log_risk,
    record_measurement,
    update_action,
    update_metric,
    update_risk,
)
from engine.services.projects import (
    TransitionResult,
    add_comment,
    approve_request,
    create_project,
    get_project,
    reject_request,
    request_transition,
    update_project,
    withdraw_request,
)

__all__ = [
    "TransitionResult", "actor_for_token", "add_action", "add_artefact", "add_comment",
    "add_metric", "add_problem", "add_team_member", "approve_request", "authenticate",
    "create_municipality", "create_organization", "create_project", "create_region",
    "create_token", "create_user", "get_project", "grant_role", "load_actor", "log_risk",
    "record_measurement", "reject_request", "request_transition", "revoke_tokens",
    "update_action", "update_metric", "update_organization", "update_project", "update_risk",
    "update_user", "withdraw_request",
]
