"""Words of the domain as the pages show them (translated with Flask-Babel)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

WASTE = {
    "transport": _l("Excess transportation"), "inventory": _l("Excess inventory"),
    "motion": _l("Excess motion"), "waiting": _l("Waiting"),
    "overproduction": _l("Overproduction"), "overprocessing": _l("Overprocessing"),
    "defects": _l("Defects, rework"), "talent": _l("Unused talent"),
}
ARTEFACT = {
    "current_state_map": _l("Current-state map"), "target_state_map": _l("Target-state map"),
    "standard": _l("Standard"), "report": _l("Report"), "other": _l("Other"),
}
RISK_STATUS = {"open": _l("open"), "mitigating": _l("mitigating"), "resolved": _l("resolved"),
               "accepted": _l("accepted")}
ACTION_STATUS = {"open": _l("open"), "done": _l("done"), "dropped": _l("dropped")}
DIRECTION = {"decrease": _l("decrease"), "increase": _l("increase")}
ORG_KIND = {"school": _l("School"), "kindergarten": _l("Kindergarten"), "college": _l("College"),
            "other": _l("Other")}
MUNICIPALITY_KIND = {"city": _l("city"), "district": _l("district")}
ROLE = {"member": _l("team member"), "head": _l("head"), "coordinator": _l("school coordinator"),
        "curator": _l("curator"), "admin": _l("administrator")}
REQUEST_STATUS = {"pending": _l("waiting"), "approved": _l("approved"), "rejected": _l("rejected"),
                  "withdrawn": _l("withdrawn")}
# the kinds of notification, as the account page's e-mail settings name them
NOTIFICATION_KIND = {
    "transition_requested": _l("A new request for my decision"),
    "transition_approved": _l("My request was approved"),
    "transition_rejected": _l("My request was rejected"),
    "request_withdrawn": _l("A request was withdrawn"),
    "commented": _l("A comment on my project"),
    "mentioned": _l("I was mentioned in a comment"),
    "team_added": _l("I was added to a project team"),
    "owner_assigned": _l("I was made leader or owner"),
    "moved_back": _l("My project was moved back a stage"),
    "stalled": _l("A project stalled"),
    "approval_reminder": _l("A reminder of a waiting request"),
    "risk_overdue": _l("A risk is past its due date"),
}

EVENT = {
    "created": _l("created the project"), "updated": _l("edited the card"),
    "transition_requested": _l("asked to move the project"),
    "transition_approved": _l("approved the move"), "transition_rejected": _l("rejected the move"),
    "approval_step_passed": _l("approved their step of the move"),
    "transition_withdrawn": _l("withdrew the request"),
    "state_changed": _l("stage changed"), "risk_logged": _l("logged a risk"),
    "risk_updated": _l("updated a risk"), "metric_added": _l("added a metric"),
    "metric_updated": _l("updated a metric"), "measurement_recorded": _l("recorded a measurement"),
    "problem_added": _l("registered a problem"), "action_added": _l("added an action"),
    "action_updated": _l("updated an action"), "artefact_added": _l("attached an artefact"),
    "commented": _l("commented"), "stalled": _l("the project stalled"),
    "team_changed": _l("changed the team"),
    "practice_published": _l("published the project as a practice"),
    "practice_updated": _l("updated the practice"),
    "practice_withdrawn": _l("withdrew the practice"),
    "replicated": _l("started the project from a practice"),
    "offer_accepted": _l("accepted a scaling campaign's offer"),
}


# the audit log's other kinds (accounts, organisations, the region; no project)
AUDIT = {
    "user_created": _l("created a user"), "user_updated": _l("edited a user"),
    "user_activated": _l("activated a user"), "user_deactivated": _l("deactivated a user"),
    "role_granted": _l("granted a role"), "role_revoked": _l("removed a role"),
    "password_changed": _l("changed their password"), "password_reset": _l("reset a password"),
    "password_rehashed": _l("password hash upgraded at sign-in"), "locale_changed": _l("changed the language"),
    "signed_out": _l("signed out everywhere"), "token_created": _l("created an API token"),
    "token_revoked": _l("revoked API tokens"), "notifications_read": _l("read notifications"),
    "region_created": _l("created a region"), "municipality_created": _l("created a municipality"),
    "municipality_updated": _l("edited a municipality"), "organization_created": _l("created an organisation"),
    "organization_updated": _l("edited an organisation"),
    "practice_imported": _l("imported an external practice"),  # leanschool practices import
    # the programme above the projects (#13)
    "programme_created": _l("created a programme"), "programme_updated": _l("edited a programme"),
    "stage_added": _l("added a programme stage"), "stage_updated": _l("edited a programme stage"),
    "stage_task_added": _l("added a stage task"), "stage_task_updated": _l("updated a stage task"),
    "participant_added": _l("added a participant"), "participant_withdrawn": _l("withdrew a participant"),
    "initiative_member_added": _l("added a person to an initiative group"),
    "initiative_member_removed": _l("removed a person from an initiative group"),
    "round_opened": _l("opened a readiness round"), "round_closed": _l("closed a readiness round"),
    "readiness_saved": _l("saved a readiness answer"), "readiness_submitted": _l("submitted a readiness answer"),
    "readiness_reopened": _l("reopened a readiness answer"),
    "round_reminded": _l("reminded of a readiness round closing"),
    "plan_item_added": _l("added a work plan item"), "plan_item_updated": _l("updated a work plan item"),
    "plan_submitted": _l("submitted a work plan"), "plan_approved": _l("approved a work plan"),
    "plan_returned": _l("returned a work plan"),
    # defence sessions (#14 item 5)
    "defence_scheduled": _l("scheduled a defence session"),
    "defence_project_added": _l("added a project to a defence session"),
    "defence_decided": _l("recorded a defence decision"),
    "defence_closed": _l("closed a defence session"),
    # events and dissemination (#14 item 3)
    "event_created": _l("recorded an event"), "event_updated": _l("edited an event"),
    # training (#14 items 1, 2)
    "course_created": _l("created a course"), "stream_added": _l("added a course stream"),
    "enrolled": _l("enrolled a person in a course"), "enrolment_completed": _l("recorded a course completion"),
    "enrolment_dropped": _l("recorded that a person dropped a course"),
    # scaling campaigns (#15 item 5)
    "campaign_created": _l("started a scaling campaign"), "campaign_closed": _l("closed a scaling campaign"),
    "offer_declined": _l("declined a scaling campaign's offer"),
    "offer_reminded": _l("reminded of a scaling campaign's deadline"),
    # evaluation editions (#15 item 1)
    "edition_created": _l("created an evaluation edition"),
    "edition_updated": _l("edited an evaluation edition"),
    "edition_signed": _l("signed an evaluation edition"),
    "edition_deleted": _l("deleted an evaluation edition"),
}


def audit_label(kind: str) -> Any:
    """Any event kind, for the audit log: the card history's label or the audit one."""
    return EVENT.get(kind) or AUDIT.get(kind, kind)


def event_label(kind: str) -> Any:
    return EVENT.get(kind, kind)


def risk_level(score: int) -> str:
    return "critical" if score >= 15 else "high" if score >= 10 else "medium" if score >= 5 else "low"
