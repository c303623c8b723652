"""The append-only access log (NEN 7513 style).

Every read and write of a youth's data adds one :class:`AuditEvent`. The database refuses
UPDATE and DELETE on the table (triggers, see the migrations), and every row carries a
SHA-256 hash over its own content and the previous row's hash, so ``yim audit verify``
detects a row that was altered or removed behind the application's back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from functools import cache

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64
# Any fixed 64-bit number works as the PostgreSQL advisory-lock key; this one spells "yimaudit".
_PG_LOCK_KEY = 0x79696D6175646974 - (1 << 63)


class Action(models.TextChoices):
    VIEW = "view", _("viewed")
    LIST = "list", _("listed")
    SEARCH = "search", _("searched")
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("deleted")
    EXPORT = "export", _("exported")
    LOGIN = "login", _("signed in")
    LOGIN_FAILED = "login_failed", _("failed sign-in")
    LOGOUT = "logout", _("signed out")
    # The organisation admin's work on accounts and teams (no youth involved).
    USER_CREATE = "user.create", _("created an account")
    USER_UPDATE = "user.update", _("changed an account")
    USER_DEACTIVATE = "user.deactivate", _("deactivated an account")
    USER_REACTIVATE = "user.reactivate", _("reactivated an account")
    USER_RESET_2FA = "user.reset_2fa", _("reset two-factor sign-in")
    USER_PASSWORD_LINK = "user.password_link", _("issued a set-password link")
    USER_SET_PASSWORD = "user.set_password", _("set a password through a link")
    TEAM_CREATE = "team.create", _("created a team")
    TEAM_RENAME = "team.rename", _("renamed a team")


def listed_text(youth_ids: Iterable[int]) -> str | None:
    """The ``listed`` column for these youth: ids between commas, found by ``,<id>,``."""
    ids = sorted({int(pk) for pk in youth_ids})
    return "," + ",".join(map(str, ids)) + "," if ids else None


def listed_filter(youth_id: int) -> models.Q:
    """Events whose list or search showed this youth."""
    return models.Q(listed__contains=f",{int(youth_id)},")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "accounts.User",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("who"), max_length=200)
    capacity = models.CharField(_("capacity"), max_length=40)
    break_glass_reason = models.TextField(_("break-the-glass reason"), blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    youth_id = models.BigIntegerField(_("youth"), null=True, blank=True, db_index=True)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("from"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    #: The youth whose names a list or search showed (``,3,17,``): "who viewed my file"
    #: finds them there. Null for every other event (and for rows written before it existed),
    #: so their hashes stay as they were.
    listed = models.TextField(_("youth listed"), null=True, blank=True)  # noqa: DJ001
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["actor", "at"])]

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        with transaction.atomic():
            _lock_chain()
            last = _chain_head()
            self.prev_hash = last[1] if last else GENESIS_HASH
            self.pk = (last[0] + 1) if last else 1
            self.row_hash = self.compute_hash()
            super().save(force_insert=True)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit events are append-only")

    def canonical(self) -> str:
        """The exact text the row hash covers, in a stable form."""
        payload = {
            "id": self.pk,
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_name": self.actor_name,
            "capacity": self.capacity,
            "break_glass_reason": self.break_glass_reason,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "youth_id": self.youth_id,
            "organisation_id": self.organisation_id,
            "ip": self.ip,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
        }
        if self.listed:
            payload["listed"] = self.listed
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def capacity_label(self) -> str:
        """The capacity in words: the role's name, or emergency access (break the glass)."""
        if self.capacity == "break_glass":
            return str(_("emergency access"))
        from yim.accounts.models import Role

        try:
            return str(Role(self.capacity).label)
        except ValueError:
            return self.capacity

    @property
    def object_label(self) -> str:
        """The record in words of the page's language (*Plaatsingsbesluit 152*), not the
        model's code name."""
        if not self.object_type:
            return ""
        model = _models_by_name().get(self.object_type)
        name = capfirst(str(model._meta.verbose_name)) if model else self.object_type
        return f"{name} {self.object_id}".strip()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()


@cache
def _models_by_name() -> dict[str, type[models.Model]]:
    """Every installed model by its ``model_name``, as audit rows name them."""
    from django.apps import apps

    found: dict[str, type[models.Model]] = {}
    for model in apps.get_models():
        found.setdefault(model._meta.model_name or "", model)
    return found


def _chain_head() -> tuple[int, str] | None:
    """The newest row's id and hash (the one the next row chains onto), read with one plain
    SQL statement on the primary key: every read of a youth file writes a row, so this
    skips building an ORM query each time."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, row_hash FROM {table} ORDER BY id DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else None


def _lock_chain() -> None:
    """Serialise appends so that two writers never chain onto the same previous row.

    SQLite runs write transactions IMMEDIATE (one writer at a time), which already
    serialises them. PostgreSQL takes a transaction-scoped advisory lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


def verify_chain(batch_size: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk the chain in id order; return the number of rows checked and every problem found."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS_HASH
    expected_id = 1
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not rows:
            break
        for event in rows:
            if event.id != expected_id:
                problems.append(
                    ChainProblem(
                        event.id,
                        f"rows {expected_id}..{event.id - 1} are missing (removed from the log)",
                    )
                )
            if event.prev_hash != expected_prev:
                problems.append(ChainProblem(event.id, "does not link to the previous row's hash"))
            if event.compute_hash() != event.row_hash:
                problems.append(ChainProblem(event.id, "content was altered after it was written"))
            expected_prev = event.row_hash
            expected_id = event.id + 1
            checked += 1
        last_id = rows[-1].id
    return checked, problems


@dataclass(frozen=True)
class Anchor:
    """The newest row of the chain as it was at a moment, kept outside the database.

    A hash chain shows altered rows and gaps, but not the removal of the newest rows: the
    shortened chain is still a valid chain. An anchor written elsewhere (a log host, a write-once
    store, a ticket) closes that hole: the row it names must still be there, with its hash.
    """

    event_id: int
    row_hash: str
    at: str = ""

    def to_line(self) -> str:
        return json.dumps({"event": self.event_id, "hash": self.row_hash, "at": self.at})

    @classmethod
    def from_line(cls, line: str, where: str) -> Anchor:
        try:
            data = json.loads(line)
            event_id, row_hash = data["event"], data["hash"]
        except (ValueError, KeyError, TypeError):
            raise ValueError(
                f"{where}: not an audit anchor (expected a JSON line with 'event' and 'hash')"
            ) from None
        if not isinstance(event_id, int) or event_id < 1:
            raise ValueError(f"{where}: 'event' must be a positive whole number")
        if not (isinstance(row_hash, str) and len(row_hash) == 64):
            raise ValueError(f"{where}: 'hash' must be a SHA-256 hex digest (64 characters)")
        return cls(event_id, row_hash, str(data.get("at", "")))


def current_anchor() -> Anchor | None:
    """The anchor for the chain's newest row, or None while the log is empty."""
    head = AuditEvent.objects.order_by("-id").values_list("id", "row_hash").first()
    if head is None:
        return None
    return Anchor(head[0], head[1], timezone.now().isoformat(timespec="seconds"))


def read_anchors(text: str, source: str) -> list[Anchor]:
    """Parse an anchor file: one JSON object per line; blank lines and # comments are skipped."""
    anchors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            anchors.append(Anchor.from_line(line, f"{source}, line {number}"))
    return anchors


def check_anchors(anchors: list[Anchor]) -> list[ChainProblem]:
    """Every anchored row must still exist with the hash it had when it was anchored."""
    wanted = {a.event_id for a in anchors}
    stored = dict(AuditEvent.objects.filter(id__in=wanted).values_list("id", "row_hash"))
    problems = []
    for anchor in sorted(anchors, key=lambda a: a.event_id):
        if anchor.event_id not in stored:
            problems.append(
                ChainProblem(
                    anchor.event_id,
                    f"was anchored{' at ' + anchor.at if anchor.at else ''} but is no longer in "
                    "the log (the newest rows were removed)",
                )
            )
        elif stored[anchor.event_id] != anchor.row_hash:
            problems.append(
                ChainProblem(anchor.event_id, "has another hash than when it was anchored")
            )
    return problems
