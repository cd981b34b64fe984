"""Defence sessions (защита проектов, #14 item 5).

A curator of a region schedules a session (date, place, a commission of curators) and
adds the projects whose request for the defended move waits at the curator's approval
step (a workflow whose ``approval`` names a sequence ending with ``curator``, e.g.
workflows/psr-defended.yaml's ``to_implement``). At the session the commission records,
per project, «принят» (accepted) or «на доработку» (to revise, with remarks): that IS the
decision of the curator's step, made by the same ``approve_request`` / ``reject_request``
services in the same transaction (``OneTransaction``), so a project moves only when
accepted and a request to revise goes back to its team with the remarks (they may ask
again later). The session page shows the progress; the protocol is a printable A4 page.

service.py (mutations), schemas.py (input), outputs.py (API answers), pages.py (what the
pages show)."""
