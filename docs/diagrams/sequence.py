"""Draw the documentation's sequence diagrams as SVG, with no renderer service.

Run ``python docs/diagrams/sequence.py`` after editing a diagram below; it
writes ``docs/_static/*.svg``. A test checks the committed files are current.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
COLUMN = 190
LEFT = 110
TOP = 20
HEAD = 46
LINE = 15
INK = "#1f2933"
MUTED = "#52606d"
ACCENT = "#2f6f9f"
FRAGMENT = "#f4f8fb"


@dataclass
class Step:
    """One row of a diagram."""

    kind: str  # "call", "reply", "note", "begin", "end"
    source: int = 0
    target: int = 0
    lines: tuple[str, ...] = ()


@dataclass
class Diagram:
    title: str
    participants: tuple[str, ...]
    steps: list[Step] = field(default_factory=list)

    def call(self, source: int, target: int, *lines: str) -> Diagram:
        self.steps.append(Step("call", source, target, lines))
        return self

    def reply(self, source: int, target: int, *lines: str) -> Diagram:
        self.steps.append(Step("reply", source, target, lines))
        return self

    def note(self, at: int, *lines: str) -> Diagram:
        self.steps.append(Step("note", at, at, lines))
        return self

    def begin(self, first: int, last: int, label: str) -> Diagram:
        self.steps.append(Step("begin", first, last, (label,)))
        return self

    def end(self) -> Diagram:
        self.steps.append(Step("end"))
        return self


def _x(column: int) -> int:
    return LEFT + column * COLUMN


def _text(x: float, y: float, text: str, *, anchor: str = "middle", size: int = 12,
          weight: str = "normal", fill: str = INK, mono: bool = False) -> str:
    family = "DejaVu Sans Mono, Menlo, Consolas, monospace" if mono else FONT
    return (f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}" font-family="{family}" '
            f'font-size="{size}" font-weight="{weight}" fill="{fill}">{escape(text)}</text>')


def render(diagram: Diagram) -> str:
    """The diagram as a standalone SVG document."""
    count = len(diagram.participants)
    width = LEFT * 2 + COLUMN * (count - 1)
    body: list[str] = []
    y = TOP + 28 + HEAD + 24
    open_fragments: list[tuple[int, int, int, str]] = []
    fragments: list[str] = []

    for step in diagram.steps:
        if step.kind == "begin":
            open_fragments.append((step.source, step.target, y, step.lines[0]))
            y += 26
        elif step.kind == "end":
            first, last, top, label = open_fragments.pop()
            left, right = _x(first) - 80, _x(last) + 80
            fragments.append(
                f'<rect x="{left}" y="{top}" width="{right - left}" height="{y - top}" '
                f'fill="{FRAGMENT}" stroke="{ACCENT}" stroke-width="1" rx="4"/>'
            )
            tag = f"par  {label}"
            fragments.append(
                f'<rect x="{left}" y="{top}" width="{len(tag) * 6.6 + 14:.0f}" height="18" '
                f'fill="{ACCENT}" rx="4"/>'
            )
            fragments.append(_text(left + 7, top + 13, tag, anchor="start", size=11,
                                   weight="bold", fill="#ffffff"))
            y += 16
        elif step.kind == "note":
            widest = max(len(line) for line in step.lines)
            box = max(150, widest * 6.8 + 20)
            x = min(max(_x(step.source), box / 2 + 10), width - box / 2 - 10)
            height = LINE * len(step.lines) + 12
            body.append(
                f'<rect x="{x - box / 2:.0f}" y="{y}" width="{box:.0f}" height="{height}" '
                f'fill="#fff8e1" stroke="#c9a227" rx="3"/>'
            )
            for i, line in enumerate(step.lines):
                body.append(_text(x, y + 16 + i * LINE, line, size=11))
            y += height + 14
        else:
            x1, x2 = _x(step.source), _x(step.target)
            label_top = y
            backdrop = FRAGMENT if open_fragments else "#ffffff"
            for i, line in enumerate(step.lines):
                mono = i == 0 and step.kind == "call"
                size = 11 if i else 12
                wide = len(line) * (0.61 if mono else 0.56) * size + 8
                middle = (x1 + x2) / 2
                body.append(
                    f'<rect x="{middle - wide / 2:.0f}" y="{label_top + i * LINE}" '
                    f'width="{wide:.0f}" height="{LINE}" fill="{backdrop}"/>'
                )
                body.append(_text(middle, label_top + 11 + i * LINE, line, size=size,
                                  fill=INK if i == 0 else MUTED, mono=mono))
            y += LINE * len(step.lines) + 6
            dash = ' stroke-dasharray="6 4"' if step.kind == "reply" else ""
            direction = 1 if x2 > x1 else -1
            body.append(
                f'<line x1="{x1}" y1="{y}" x2="{x2 - direction * 9}" y2="{y}" '
                f'stroke="{INK}" stroke-width="1.4"{dash}/>'
            )
            body.append(
                f'<polygon points="{x2},{y} {x2 - direction * 10},{y - 5} '
                f'{x2 - direction * 10},{y + 5}" fill="{INK}"/>'
            )
            y += 22

    height = y + 10
    head_y = TOP + 28
    heads: list[str] = [_text(width / 2, TOP + 10, diagram.title, size=15, weight="bold")]
    for column, name in enumerate(diagram.participants):
        x = _x(column)
        heads.append(
            f'<line x1="{x}" y1="{head_y + HEAD}" x2="{x}" y2="{height - 10}" '
            f'stroke="#9aa5b1" stroke-width="1" stroke-dasharray="3 4"/>'
        )
        heads.append(
            f'<rect x="{x - 86}" y="{head_y}" width="172" height="{HEAD}" '
            f'fill="#e8f1f8" stroke="{ACCENT}" rx="6"/>'
        )
        for i, part in enumerate(name.split("\n")):
            heads.append(_text(x, head_y + 19 + i * 15, part, size=12 if i else 13,
                               weight="normal" if i else "bold", fill=INK if i == 0 else MUTED))
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(diagram.title)}">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        *fragments,
        *heads,
        *body,
        "</svg>",
        "",
    ])


def initialize_request() -> Diagram:
    client, ext, jwt_, store, relations, storage = range(6)
    d = Diagram(
        "POST /api/pis/documents: from token to response",
        ("PIS client", "flask_pis_documents\nblueprint", "flask-jwt-extended\n(JWKS, cached)",
         "person store\n(MPI)", "relationship\nservice", "media storages\n3 S3 buckets"),
    )
    d.call(client, ext, "POST /api/pis/documents",
           "Authorization: Bearer <JWT>, x-request-id")
    d.call(ext, jwt_, "verify_jwt_in_request()",
           "pinned alg, signature, exp/nbf, aud/iss, access type")
    d.reply(jwt_, ext, "claims", "or 401 access_denied")
    d.note(ext, "person_id claim (or user_person_loader(sub)),",
           "applicant_person_id, scope check",
           "-> 401 / 403")
    d.begin(ext, storage, "started together on the per-app pool")
    d.call(ext, store, "load(person_id)", "with its THIRD_PERSON persons")
    d.call(ext, relations, "check(person_id, applicant)", "only when an applicant acts")
    d.call(ext, storage, "ListObjectsV2 Prefix=person_id/", "one per bucket, 3 at once")
    d.reply(store, ext, "record", "None or inactive -> 404")
    d.reply(relations, ext, "approved | not_approved | not_found", "failure or timeout -> 503")
    d.reply(storage, ext, "keys present", "failure or timeout -> 503")
    d.end()
    d.note(ext, "six rules (pure): required names",
           "minus names present in any storage",
           "presign a PUT for each (SigV4, no network):",
           "Content-Type signed, 600 s")
    d.reply(ext, client, "201 {meta, data: [{type, url, headers}]}",
            "x-request-id echoed; one JSON access log line")
    return d


def upload_flow() -> Diagram:
    client, ext, bucket, ledger = range(4)
    d = Diagram(
        "Initialize, upload, complete",
        ("PIS client", "flask_pis_documents\nblueprint", "persons bucket\n(S3)",
         "completion ledger\n+ documents_completed"),
    )
    d.call(client, ext, "POST /api/pis/documents", "Bearer <JWT>")
    d.reply(ext, client, "201 data: [{type, url, headers}]", "one item per missing document")
    d.call(client, bucket, "PUT <url>  (each item)", "with the item's headers, one-page JPEG")
    d.reply(bucket, client, "200", "403 when the URL expired or a header differs")
    d.call(client, ext, "PATCH /api/pis/documents/actions/complete", "Bearer <JWT>")
    d.note(ext, "the same checks and storage look-ups",
           "as initialize")
    d.reply(ext, client, "200 data: [still missing, fresh URLs]", "while anything is missing")
    d.call(ext, ledger, "complete(person_id, names)", "when nothing is missing")
    d.note(ledger, "first time for this set of names:",
           "documents_completed(person_id, names)",
           "in the ledger's transaction")
    d.reply(ledger, ext, "reported, or seen before", "hook failure -> 503, nothing kept")
    d.reply(ext, client, "200 data: []")
    return d


def render_all() -> dict[str, str]:
    """Every diagram, by file name under ``docs/_static``."""
    return {
        "request-sequence.svg": render(initialize_request()),
        "upload-flow.svg": render(upload_flow()),
    }


if __name__ == "__main__":
    static = Path(__file__).resolve().parent.parent / "_static"
    for name, svg in render_all().items():
        (static / name).write_text(svg, encoding="utf-8")
        print(f"wrote {static.name}/{name}")
