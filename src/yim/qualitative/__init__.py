"""Qualitative research: transcripts, coding, agreement and REFI-QDA exchange (Django-free core)."""
