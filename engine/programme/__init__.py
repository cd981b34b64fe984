"""The programme above the projects (PROGRAMME.md, issue #13): programmes with stages and
tasks, participants with coordinators and initiative groups, readiness rounds, innovation
work plans, the computed onboarding funnel and the programme tower.

service.py (mutations and plain reads), schemas.py (inputs), outputs.py (API answers as
pydantic models), funnel.py (the funnel in one query, stage-task rules), tower.py (the
programme tower's read model), questionnaire.py (the YAML questionnaire of questionnaires/)."""
