"""Training (PROGRAMME.md "Training", issue #14): a region's courses (ПК, expert training,
seminars), their streams (dates, place), enrolments of users or initiative-group people,
completion with date and certificate number.

Modules: ``schemas`` (input), ``service`` (mutations and reads, each mutation with its audit
event), ``outputs`` (API answers), ``importer`` (``leanschool import enrolments FILE
--stream ID``, through engine.io.onboarding's plan-then-apply), ``figures`` (who is trained:
the check ``team_trained``, the funnel's ``trained`` step, the tower's and the summary's counts).
"""
