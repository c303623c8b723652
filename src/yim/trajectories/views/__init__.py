"""The trajectory pages, one module per part of the work.

``base`` holds the shared helpers (scoped lookups, the audit, the form-handling shape);
``trajectory`` intake, the trajectory page, its referral and phase; ``nomination`` rounds,
candidates and consent; ``care`` meetings, the care plan, goals and safety plans;
``placement`` placement decisions; ``episodes`` decision outcomes, placement episodes and
living situations; ``closure`` closing and follow-up; ``network`` the youth's network and
map; ``portal_links`` the professional's page for a youth's portal account; ``overview``
the team overview; ``comparison`` the comparison registry.
"""
