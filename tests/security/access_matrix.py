"""The access matrix: ONE table of role × relation × action → what each request answers.

It is data: :data:`TABLE` below, one line per role and action, one column per relation. Each
cell holds the outcome of every request that implements the action (:data:`TARGETS`, in that
order, one character each). ``tests/security/test_access_matrix.py`` asserts every cell through
the real client; ``scripts/generate_access_matrix.py`` renders the same table into
``docs/access-matrix.md`` (a test fails when the page differs from the table).

Outcomes (and their character in the table):

* ``+`` ``ok`` — allowed: the page or the data is shown; a write is done; a list, search or export
  shows the file's row;
* ``h`` ``hidden`` — the list, search or export answers, without the file's row;
* ``r`` ``refused`` — the page answers (the form is shown again with the reason), nothing
  is written;
* ``-`` ``404`` — not found: outside the scope looks exactly like nothing (the convention);
* ``3`` ``403`` — where the convention says so: the portal, to a linked user whom the youth's
  sharing, consent or age keeps out; the API, to a role that has no API (portal users);
* ``1`` ``401`` — the API without a valid token (not in the table today).

Default deny: a role, relation or request the table does not name is expected to answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The marker the file of each relation carries (its youth's display name): a list, search or
#: export that shows it shows the file.
MARKER = "MATRIXQ7"

#: The personas of ``tests.conftest`` (the same list as its ``ALL_PERSONAS``; a test checks).
ROLES = [
    "professional",
    "team_lead",
    "other_team_professional",
    "foreign_professional",
    "admin",
    "researcher",
    "youth_user",
    "jim",
    "parent",
]

#: The relation of the file to the people of ``tests.conftest.world``: the professional and
#: team lead are in team A, ``other_team_professional`` in team B, ``foreign_professional`` in
#: the other organisation; the youth, JIM and parent have portal accounts of ``youth_file``.
RELATIONS = {
    "own_caseload": "the professional's own youth (the portal users' file), open, JIM accepted "
    "with consent, plan and meetings shared with the JIM",
    "same_team": "a youth of team A whose professional is the team lead",
    "other_team": "a youth of team B of the same organisation",
    "other_org": "a youth of the other organisation",
    "closed_file": "the own file, its trajectory closed (the JIM relationship continues)",
    "consent_refused": "the own file, the youth refused consent to the JIM",
    "jim_stopped": "the own file, the JIM stopped",
    "sharing_off": "the own file, the youth stopped sharing plan and meetings with the JIM",
}

ACTIONS = ["read", "list", "search", "create", "update", "delete", "export", "download"]


@dataclass(frozen=True)
class Target:
    """One request that implements an action (``{youth}`` etc. are the file's ids)."""

    action: str
    name: str
    surface: str  # "page" (a session) or "api" (a token)
    method: str
    url: str

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


TARGETS: dict[str, list[Target]] = {
    "read": [
        Target("read", "youth page", "page", "GET", "/youth/{youth}/"),
        Target("read", "trajectory page", "page", "GET", "/trajectories/{trajectory}/"),
        Target("read", "portal plan", "page", "GET", "/portal/{youth}/file/plan/"),
        Target("read", "API youth", "api", "GET", "/api/v1/youth/{youth}"),
        Target("read", "API meetings", "api", "GET", "/api/v1/trajectories/{trajectory}/meetings"),
    ],
    "list": [
        Target("list", "caseload", "page", "GET", "/youth/"),
        Target("list", "API youth list", "api", "GET", "/api/v1/youth"),
    ],
    "search": [
        Target("search", "caseload search", "page", "GET", "/youth/?q=Mara"),
        Target("search", "audit search", "page", "GET", "/audit/?youth_id={youth}"),
    ],
    "create": [
        Target(
            "create", "add a meeting", "page", "POST", "/trajectories/{trajectory}/meetings/add/"
        ),
        Target(
            "create",
            "API add a meeting",
            "api",
            "POST",
            "/api/v1/trajectories/{trajectory}/meetings",
        ),
    ],
    "update": [
        Target("update", "edit a goal", "page", "POST", "/trajectories/goals/{goal}/"),
    ],
    "delete": [
        Target(
            "delete",
            "remove a network person",
            "page",
            "POST",
            "/trajectories/youth/{youth}/network/{person}/remove/",
        ),
    ],
    "export": [
        Target("export", "evidence CSV", "page", "GET", "/evidence/?format=csv"),
    ],
    "download": [
        Target(
            "download",
            "network map SVG",
            "page",
            "GET",
            "/trajectories/youth/{youth}/network/map.svg",
        ),
    ],
}

#: One character per outcome in :data:`TABLE`.
CODES = {"+": "ok", "h": "hidden", "r": "refused", "-": "404", "3": "403", "1": "401"}

#: The table. One line per role and action; one column per relation, in the order of
#: :data:`RELATIONS`; each cell one character per target of the action (:data:`TARGETS`, in
#: order), from :data:`CODES`. Read, for instance: ``++-++`` = youth page ok, trajectory page
#: ok, portal plan 404, API youth ok, API meetings ok.
TABLE = """
#                                own   same  other other closed consent jim   sharing
# role                  action   case  team  team  org   file   refused stop  off

professional            read     ++-++ ++-++ ----- ----- ++-++  ++-++   ++-++ ++-++
professional            list     ++    ++    hh    hh    ++     ++      ++    ++
professional            search   +-    +-    h-    h-    +-     +-      +-    +-
professional            create   ++    ++    --    --    rr     ++      ++    ++
professional            update   +     +     -     -     r      +       +     +
professional            delete   +     +     -     -     +      +       +     +
professional            export   h     h     h     h     h      h       h     h
professional            download +     +     -     -     +      +       +     +

team_lead               read     ++-++ ++-++ ----- ----- ++-++  ++-++   ++-++ ++-++
team_lead               list     ++    ++    hh    hh    ++     ++      ++    ++
team_lead               search   ++    ++    hh    hh    ++     ++      ++    ++
team_lead               create   ++    ++    --    --    rr     ++      ++    ++
team_lead               update   +     +     -     -     r      +       +     +
team_lead               delete   +     +     -     -     +      +       +     +
team_lead               export   h     h     h     h     h      h       h     h
team_lead               download +     +     -     -     +      +       +     +

other_team_professional read     ----- ----- ++-++ ----- -----  -----   ----- -----
other_team_professional list     hh    hh    ++    hh    hh     hh      hh    hh
other_team_professional search   h-    h-    +-    h-    h-     h-      h-    h-
other_team_professional create   --    --    ++    --    --     --      --    --
other_team_professional update   -     -     +     -     -      -       -     -
other_team_professional delete   -     -     +     -     -      -       -     -
other_team_professional export   h     h     h     h     h      h       h     h
other_team_professional download -     -     +     -     -      -       -     -

foreign_professional    read     ----- ----- ----- ++-++ -----  -----   ----- -----
foreign_professional    list     hh    hh    hh    ++    hh     hh      hh    hh
foreign_professional    search   h-    h-    h-    +-    h-     h-      h-    h-
foreign_professional    create   --    --    --    ++    --     --      --    --
foreign_professional    update   -     -     -     +     -      -       -     -
foreign_professional    delete   -     -     -     +     -      -       -     -
foreign_professional    export   h     h     h     h     h      h       h     h
foreign_professional    download -     -     -     +     -      -       -     -

admin                   read     ----- ----- ----- ----- -----  -----   ----- -----
admin                   list     -h    -h    -h    -h    -h     -h      -h    -h
admin                   search   -+    -+    -+    -h    -+     -+      -+    -+
admin                   create   --    --    --    --    --     --      --    --
admin                   update   -     -     -     -     -      -       -     -
admin                   delete   -     -     -     -     -      -       -     -
admin                   export   h     h     h     h     h      h       h     h
admin                   download -     -     -     -     -      -       -     -

researcher              read     ----- ----- ----- ----- -----  -----   ----- -----
researcher              list     -h    -h    -h    -h    -h     -h      -h    -h
researcher              search   --    --    --    --    --     --      --    --
researcher              create   --    --    --    --    --     --      --    --
researcher              update   -     -     -     -     -      -       -     -
researcher              delete   -     -     -     -     -      -       -     -
researcher              export   h     h     h     h     h      h       h     h
researcher              download -     -     -     -     -      -       -     -

youth_user              read     --+33 ---33 ---33 ---33 --+33  --+33   --+33 --+33
youth_user              list     -3    -3    -3    -3    -3     -3      -3    -3
youth_user              search   --    --    --    --    --     --      --    --
youth_user              create   -3    -3    -3    -3    -3     -3      -3    -3
youth_user              update   -     -     -     -     -      -       -     -
youth_user              delete   -     -     -     -     -      -       -     -
youth_user              export   -     -     -     -     -      -       -     -
youth_user              download -     -     -     -     -      -       -     -

jim                     read     --+33 ---33 ---33 ---33 --+33  --333   ---33 --333
jim                     list     -3    -3    -3    -3    -3     -3      -3    -3
jim                     search   --    --    --    --    --     --      --    --
jim                     create   -3    -3    -3    -3    -3     -3      -3    -3
jim                     update   -     -     -     -     -      -       -     -
jim                     delete   -     -     -     -     -      -       -     -
jim                     export   -     -     -     -     -      -       -     -
jim                     download -     -     -     -     -      -       -     -

parent                  read     --333 ---33 ---33 ---33 --333  --333   --333 --333
parent                  list     -3    -3    -3    -3    -3     -3      -3    -3
parent                  search   --    --    --    --    --     --      --    --
parent                  create   -3    -3    -3    -3    -3     -3      -3    -3
parent                  update   -     -     -     -     -      -       -     -
parent                  delete   -     -     -     -     -      -       -     -
parent                  export   -     -     -     -     -      -       -     -
parent                  download -     -     -     -     -      -       -     -
"""


def _parse() -> dict[tuple[str, str, str], dict[str, str]]:
    parsed: dict[tuple[str, str, str], dict[str, str]] = {}
    relations = list(RELATIONS)
    for line in TABLE.strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        role, action, *row = line.split()
        if role not in ROLES or action not in ACTIONS or len(row) != len(relations):
            raise ValueError(f"malformed matrix line: {line!r}")
        names = [t.name for t in TARGETS[action]]
        for relation, cell in zip(relations, row, strict=True):
            if len(cell) != len(names) or not set(cell) <= set(CODES):
                raise ValueError(f"{role} {action} {relation}: {cell!r} is not {names}")
            if (role, relation, action) in parsed:
                raise ValueError(f"{role} {action} appears twice")
            parsed[(role, relation, action)] = {
                name: CODES[code] for name, code in zip(names, cell, strict=True)
            }
    return parsed


MATRIX = _parse()


def cells() -> list[tuple[str, str, str]]:
    """Every (role, relation, action), named or not in the table (default deny)."""
    return [(r, rel, a) for r in ROLES for rel in RELATIONS for a in ACTIONS]


def expected(role: str, relation: str, target: str) -> str:
    for action, targets in TARGETS.items():
        if any(t.name == target for t in targets):
            return MATRIX.get((role, relation, action), {}).get(target, "404")
    return "404"


def render_markdown() -> str:
    """The table as the page ``docs/access-matrix.md``."""
    relations = list(RELATIONS)
    out = [
        "# Access matrix",
        "",
        "<!-- Generated by scripts/generate_access_matrix.py from tests/security/access_matrix.py;"
        " do not edit by hand. -->",
        "",
        "Who may do what with a youth file, by role and by the file's relation to them. Every "
        "cell is asserted through the real client (a session for the pages, an API token for "
        "the API) by `tests/security/test_access_matrix.py::"
        "test_every_cell_of_the_access_matrix_holds`, "
        f"{len(cells())} cells ({len(ROLES)} roles × {len(RELATIONS)} relations × "
        f"{len(ACTIONS)} actions), "
        f"{sum(len(TARGETS[a]) for _r, _rel, a in cells())} requests.",
        "",
        "Outcomes: **ok** allowed (a list, search or export shows the file's row; a write is "
        "done) · **hidden** the list, search or export answers without the file's row · "
        "**refused** the form is shown again with the reason, nothing is written · **404** not "
        "found: outside the scope looks exactly like nothing · **403** where the convention "
        "says so: the portal, to a linked user whom the youth's sharing, consent or age keeps "
        "out; the API, to a role that has no API · **401** the API without a valid token. "
        "Default deny: anything the table does not name must answer 404.",
        "",
        "## Relations",
        "",
        *[f"- `{name}`: {text}" for name, text in RELATIONS.items()],
        "",
        "## Requests per action",
        "",
        *[
            f"- **{action}**: "
            + "; ".join(f"{t.name} (`{t.method} {t.url}`)" for t in TARGETS[action])
            for action in ACTIONS
        ],
        "",
    ]
    for action in ACTIONS:
        names = [t.name for t in TARGETS[action]]
        out += [f"## {action}", ""]
        if len(names) > 1:
            out += [f"Each cell: {' / '.join(names)}.", ""]
        out.append("| role | " + " | ".join(f"`{r}`" for r in relations) + " |")
        out.append("|---|" + "---|" * len(relations))
        for role in ROLES:
            row = []
            for relation in relations:
                cell = [expected(role, relation, n) for n in names]
                row.append(cell[0] if len(set(cell)) == 1 else " / ".join(cell))
            out.append(f"| {role} | " + " | ".join(row) + " |")
        out.append("")
    return "\n".join(out)
