"""The fleet report: one self-contained HTML page and an iCalendar, from status's values."""
