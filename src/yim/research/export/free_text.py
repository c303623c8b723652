"""The free-text columns of the research export (no Django here: the command line's help
reads them before Django is set up)."""

#: The free-text columns a researcher may choose (``--include-free-text``); everything else
#: that is free text or a name (youth, network persons, attendees, parents, users, teams,
#: notes of other records) is never exported at all.
FREE_TEXT = {
    "referral_reason": "the reason for referral, as the professional wrote it (trajectory)",
    "notes": "the notes of closures (trajectory), placement episodes and follow-ups",
    "open_answer": "answers to open questions of questionnaires (assessment_answer)",
    "revision_history": (
        "the history of changes to the answers of an assessment, as JSON: a list of "
        '{"action", "changes": [{"item", "old", "new"}]} (assessment)'
    ),
}
