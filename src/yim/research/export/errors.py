"""The export's one error: bad input or a place it cannot write, said plainly."""


class ExportError(Exception):
    """An export that cannot be made (an unknown column, a directory that cannot be written, a
    day in the future): a message for the user, never a traceback, and nothing half-written."""
