"""Well-known value formats, shared by column profiles and the format_valid rule."""

from __future__ import annotations

# Well-known formats, as POSIX ERE (no \d, \s, lookarounds): they run unchanged in PostgreSQL
# `~`, Databricks `rlike` (Java), RE2 and Python `re`. One table for the profiler (which
# counts matches and suggests format_valid) and the format_valid rule, so a suggested rule
# passes on the data it was suggested from.
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
FORMATS: dict[str, str] = {
    "email": "^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}$",
    "uuid": "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
    "url": "^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(:[0-9]+)?([/?#][^ ]*)?$",
    "ipv4": f"^({_OCTET}\\.){{3}}{_OCTET}$",
    "iso_date": "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
    "e164_phone": "^\\+[1-9][0-9]{1,14}$",
}

# A necessary condition of each format, as a LIKE pattern, tested before its regex (a regex
# costs ~10 times a LIKE; most values of most columns fail the LIKE). Each ends with % where the
# regex ends with `$`: Java's `$` (Databricks' RLIKE) also matches before a final line break.
FORMAT_GATES: dict[str, str] = {
    "email": "%@%.%",
    "uuid": "________-____-____-____-____________%",
    "url": "%://%",
    "ipv4": "%.%.%.%",
    "iso_date": "____-__-__%",
    "e164_phone": "+%",
}
