"""HTML pieces the lineage report's sections share (lineage/report.py, governance.py,
detection_quality.py, version_diff.py, image_report.py): everything is escaped but Raw."""
from __future__ import annotations

import html


class Raw(str):
    """Trusted HTML built here (badges, links); everything else is escaped."""


def esc(value) -> str:
    return html.escape("" if value is None else str(value))


def table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    """A table; cells are escaped unless Raw, and columns in ``numeric`` right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="n">{esc(c)}</td>' if i in numeric else f"<td>{c if isinstance(c, Raw) else esc(c)}</td>"
        for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(title: str, body: str, cls: str = "") -> str:
    """One report section, titled."""
    return f'<section{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}><h2>{esc(title)}</h2>{body}</section>'
