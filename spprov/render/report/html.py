"""The fleet report as one self-contained HTML page: inline CSS and SVG, no script, nothing
fetched. Every value from the repository is HTML-escaped; each number carries a ``data-``
attribute, so tests (and scripts) read the same figures `spprov status --json` gives."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from spprov.health import AppHealth, CredentialHealth, Health
from spprov.render.facts import iso_z
from spprov.render.report.timeline import Fleet, fleet

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}
.num{text-align:right}.ok{color:#1a7f37}.warning{color:#9a6700}.broken{color:#cf222e}
.legend span{display:inline-block;margin-right:14px}
.sw{width:10px;height:10px;display:inline-block;margin-right:4px}
.cards div{display:inline-block;border:1px solid #ddd;border-radius:6px;padding:8px 14px;
margin-right:10px}
"""
BAR_WIDTH, CHART_HEIGHT, LEFT, BOTTOM = 16, 180, 36, 30


def report_html(health: Health) -> str:
    """The whole page."""
    data = fleet(health)
    body = [f"<h1>spprov fleet report</h1><p>Generated {_time(data.generated_at)} from the "
            "declaration and the readable fields of the state files (nothing decrypted).</p>",
            _cards(data), _timeline(data), _expiring(data), _secrets(data), _problems(data)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width\">"
            "<title>spprov fleet report</title><style>" + STYLE + "</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def _time(moment: datetime | None) -> str:
    return "-" if moment is None else escape(iso_z(moment) or "-")


def _day(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).date().isoformat()


def _cards(data: Fleet) -> str:
    cells = [f'<div>{label} credentials: <b class="{label}" data-count="credentials-{label}">'
             f"{n}</b></div>" for label, n in data.counts.items()]
    cells += [f'<div>apps {label}: <b class="{label}" data-count="apps-{label}">{n}</b></div>'
              for label, n in data.app_counts.items()]
    cells.append(f'<div>unreadable state files: <b data-count="unreadable">{data.unreadable}'
                 "</b></div>")
    return '<section class="cards">' + "".join(cells) + "</section>"


def _timeline(data: Fleet) -> str:
    totals = [sum(counts[i] for counts in data.renewals.values()) for i in range(len(data.weeks))]
    top = max(totals, default=0) or 1
    width = LEFT + BAR_WIDTH * len(data.weeks) + 10
    colors = {app: PALETTE[i % len(PALETTE)] for i, app in enumerate(data.renewals)}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
             f'height="{CHART_HEIGHT + BOTTOM}" aria-label="renewals due per week">',
             f'<text x="0" y="12" font-size="11">{top}</text>'
             f'<text x="0" y="{CHART_HEIGHT}" font-size="11">0</text>']
    for week, monday in enumerate(data.weeks):
        x, base = LEFT + week * BAR_WIDTH, float(CHART_HEIGHT)
        for app, counts in data.renewals.items():
            if not counts[week]:
                continue
            height = counts[week] / top * (CHART_HEIGHT - 10)
            base -= height
            parts.append(f'<rect x="{x}" y="{base:.1f}" width="{BAR_WIDTH - 2}" '
                         f'height="{height:.1f}" fill="{colors[app]}" data-week="{_day(monday)}"'
                         f' data-app="{escape(app)}" data-renewals="{counts[week]}"><title>'
                         f"{escape(app)}: {counts[week]} due in the week of {_day(monday)}"
                         "</title></rect>")
        if monday.day <= 7:
            parts.append(f'<text x="{x}" y="{CHART_HEIGHT + 16}" font-size="10">'
                         f"{monday.strftime('%b')}</text>")
    parts.append("</svg>")
    legend = "".join(f'<span><i class="sw" style="background:{colors[app]}"></i>{escape(app)} '
                     f"({sum(counts)})</span>" for app, counts in data.renewals.items())
    return (f"<h2>Renewals due per week, next 12 months</h2><p>{sum(totals)} renewals "
            "(a credential overdue counts in this week).</p>" + "".join(parts)
            + f'<p class="legend">{legend}</p>')


def _expiring(data: Fleet) -> str:
    rows = "".join(_expiring_row(row) for row in data.expiring_first)
    return ("<h2>Expiring first</h2><table><tr><th>credential</th><th>app</th><th>region</th>"
            "<th>selling partner</th><th>expires</th><th class=num>days</th><th>status</th></tr>"
            + rows + "</table>")


def _expiring_row(row: CredentialHealth) -> str:
    return (f'<tr data-credential="{escape(row.name)}"><td>{escape(row.name)}</td>'
            f"<td>{escape(row.app or '-')}</td><td>{escape(row.region or '-')}</td>"
            f"<td>{escape(row.selling_partner_id or '-')}</td>"
            f"<td>{_day(row.authorization_expires_at)}</td>"
            f'<td class=num data-days="{row.days_until_expiry}">{row.days_until_expiry}</td>'
            f'<td class="{row.severity.label}">{row.severity.label}</td></tr>')


def _secrets(data: Fleet) -> str:
    rows = "".join(_secret_row(app, data.secret_deadline_days) for app in data.apps)
    return (f"<h2>Client secret ages (Amazon's {data.secret_deadline_days}-day rule)</h2>"
            "<table><tr><th>app</th><th>source</th><th>set</th><th class=num>age</th>"
            "<th>against the deadline</th><th>rotate by</th><th>status</th></tr>" + rows
            + "</table>")


def _secret_row(app: AppHealth, deadline: int) -> str:
    age = app.secret_age_days
    shown = "-" if age is None else f"{age}d"
    bar = ""
    if age is not None:
        filled = min(age, deadline) / deadline * 200
        bar = (f'<svg width="204" height="12"><rect width="202" height="10" fill="#eee"/>'
               f'<rect width="{filled:.1f}" height="10" class="{app.severity.label}" '
               f'fill="currentColor"/></svg>')
    return (f'<tr data-app="{escape(app.name)}"><td>{escape(app.name)}</td>'
            f"<td>{escape(app.secret_source.value)}</td><td>{_day(app.secret_set_at)}</td>"
            f'<td class=num data-age="{"" if age is None else age}">{shown}</td><td>{bar}</td>'
            f"<td>{_day(app.rotate_by)}</td>"
            f'<td class="{app.severity.label}">{app.severity.label}</td></tr>')


def _problems(data: Fleet) -> str:
    rows = "".join(f'<tr data-problem="{escape(code)}"><td>{escape(code)}</td>'
                   f'<td class="{severity}">{severity}</td><td class=num>{count}</td></tr>'
                   for code, severity, count in data.problems)
    return ("<h2>Problems by kind</h2><table><tr><th>code</th><th>severity</th>"
            "<th class=num>count</th></tr>" + (rows or "<tr><td colspan=3>none</td></tr>")
            + "</table>")
