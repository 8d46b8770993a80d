"""Charts as inline SVG drawn on the server: no script, no build step, readable without CSS."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 140
PAD_LEFT = 40
PAD_BOTTOM = 18


def bar_chart(
    points: Sequence[tuple[str, float | None]], label: str, percent: bool = False
) -> Markup:
    """Bars for labelled values (None = no data, drawn as a gap); the table below has numbers."""
    values = [v for _, v in points if v is not None]
    top = max(values, default=0.0)
    if percent:
        top = max(top, 0.01)
    top = top or 1.0
    n = max(len(points), 1)
    step = (WIDTH - PAD_LEFT) / n
    bar = max(step * 0.8, 1.0)
    plot = HEIGHT - PAD_BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="none" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        f'<line x1="{PAD_LEFT}" y1="{plot}" x2="{WIDTH}" y2="{plot}" class="axis"/>',
        f'<text x="{PAD_LEFT - 4}" y="10" text-anchor="end" class="tick">'
        f"{escape(_fmt(top, percent))}</text>",
    ]
    for i, (name, value) in enumerate(points):
        if value is None:
            continue
        height = plot * (value / top)
        x = PAD_LEFT + i * step + (step - bar) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{plot - height:.1f}" width="{bar:.1f}" '
            f'height="{height:.1f}" class="bar"><title>{escape(name)}: '
            f"{escape(_fmt(value, percent))}</title></rect>"
        )
    if points:
        parts.append(
            f'<text x="{PAD_LEFT}" y="{HEIGHT - 4}" class="tick">{escape(points[0][0])}</text>'
        )
        parts.append(
            f'<text x="{WIDTH}" y="{HEIGHT - 4}" text-anchor="end" class="tick">'
            f"{escape(points[-1][0])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.1f}%"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
