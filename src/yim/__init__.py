"""yim: Youth Initiated Mentoring platform."""

__version__ = "0.1.0"
