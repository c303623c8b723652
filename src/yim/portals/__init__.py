"""The portals of the youth, the JIM and the parent (an interface app: views, forms, URLs).

They sign in through their invitation (accounts) and reach only the youth they are linked to;
every page looks the youth up through :func:`yim.policy.get_youth_or_404`, so another youth's
number answers 404. Within the file, what each of them sees is decided by
:func:`yim.policy.can_view_scope` on every request — the youth's sharing choices for the JIM,
the age rule for the parent — so a withdrawn share or a refused consent takes effect on the
next request. Every page that shows youth data is written to the audit log, which the youth
reads under "who viewed my file".

Modules: :mod:`.access` (the youth lookup and the portal's own questions to the policy),
:mod:`.home` (the start page), :mod:`.file` (the parts of the file), :mod:`.placements`
(placement decisions, the safety plan, the JIM's advice), :mod:`.sharing`, :mod:`.consent`,
:mod:`.questionnaires`.
"""
