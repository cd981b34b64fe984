"""Events and dissemination (PROGRAMME.md "Events", issue #14 item 3): webinars, foresight
sessions, conferences and panels, innovation fairs and course days of a region (optionally
of one of its programmes), the organisations taking part and the practices presented.

service.py (mutations, reads and the programme tower's figures), schemas.py (inputs),
outputs.py (API answers as pydantic models). A practice's page lists the events where it
was presented; the programme tower counts events by kind and the replications that
followed a presentation (within ``REPLICATION_WINDOW_DAYS``)."""
