"""The shared kernel: what every app builds on and nothing of an app's own.

Domain errors (the one stale-edit error among them) and the typed request of a signed-in
user. Imports only Django; every other yim module may import it (see docs/architecture.md).
"""
