"""The time zones and countries the wizard offers: the common ones, so that every select
stays within Slack's 100 options (per option group)."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

# Time zones offered, by region: the common ones, so that each group stays under Slack's
# 100 options. The zone a schedule already has is always offered too.
ZONE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("UTC", ("UTC",)),
    (
        "Americas",
        (
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Phoenix",
            "America/Los_Angeles",
            "America/Anchorage",
            "Pacific/Honolulu",
            "America/Toronto",
            "America/Vancouver",
            "America/Edmonton",
            "America/Winnipeg",
            "America/Halifax",
            "America/St_Johns",
            "America/Mexico_City",
            "America/Guatemala",
            "America/Panama",
            "America/Puerto_Rico",
            "America/Bogota",
            "America/Lima",
            "America/Caracas",
            "America/Santiago",
            "America/Argentina/Buenos_Aires",
            "America/Montevideo",
            "America/Sao_Paulo",
        ),
    ),
    (
        "Europe",
        (
            "Europe/London",
            "Europe/Dublin",
            "Europe/Lisbon",
            "Europe/Paris",
            "Europe/Brussels",
            "Europe/Amsterdam",
            "Europe/Luxembourg",
            "Europe/Berlin",
            "Europe/Zurich",
            "Europe/Vienna",
            "Europe/Madrid",
            "Europe/Rome",
            "Europe/Copenhagen",
            "Europe/Oslo",
            "Europe/Stockholm",
            "Europe/Helsinki",
            "Europe/Warsaw",
            "Europe/Prague",
            "Europe/Budapest",
            "Europe/Bucharest",
            "Europe/Sofia",
            "Europe/Athens",
            "Europe/Kyiv",
            "Europe/Istanbul",
            "Europe/Moscow",
            "Atlantic/Reykjavik",
            "Atlantic/Canary",
            "Atlantic/Azores",
        ),
    ),
    (
        "Africa and Middle East",
        (
            "Africa/Casablanca",
            "Africa/Lagos",
            "Africa/Accra",
            "Africa/Cairo",
            "Africa/Johannesburg",
            "Africa/Nairobi",
            "Asia/Jerusalem",
            "Asia/Beirut",
            "Asia/Riyadh",
            "Asia/Dubai",
            "Asia/Tehran",
        ),
    ),
    (
        "Asia",
        (
            "Asia/Karachi",
            "Asia/Tashkent",
            "Asia/Almaty",
            "Asia/Kolkata",
            "Asia/Colombo",
            "Asia/Kathmandu",
            "Asia/Dhaka",
            "Asia/Yangon",
            "Asia/Bangkok",
            "Asia/Ho_Chi_Minh",
            "Asia/Jakarta",
            "Asia/Kuala_Lumpur",
            "Asia/Singapore",
            "Asia/Manila",
            "Asia/Hong_Kong",
            "Asia/Shanghai",
            "Asia/Taipei",
            "Asia/Seoul",
            "Asia/Tokyo",
        ),
    ),
    (
        "Australia and Pacific",
        (
            "Australia/Perth",
            "Australia/Darwin",
            "Australia/Adelaide",
            "Australia/Brisbane",
            "Australia/Sydney",
            "Australia/Melbourne",
            "Australia/Hobart",
            "Pacific/Guam",
            "Pacific/Auckland",
            "Pacific/Fiji",
        ),
    ),
)

# Countries offered for public holidays: common ones the holidays package knows.
COUNTRIES = {
    "AR": "Argentina",
    "AT": "Austria",
    "AU": "Australia",
    "BE": "Belgium",
    "BR": "Brazil",
    "CA": "Canada",
    "CH": "Switzerland",
    "CL": "Chile",
    "CN": "China",
    "CO": "Colombia",
    "CZ": "Czechia",
    "DE": "Germany",
    "DK": "Denmark",
    "EG": "Egypt",
    "ES": "Spain",
    "FI": "Finland",
    "FR": "France",
    "GB": "United Kingdom",
    "GR": "Greece",
    "HK": "Hong Kong",
    "HU": "Hungary",
    "ID": "Indonesia",
    "IE": "Ireland",
    "IL": "Israel",
    "IN": "India",
    "IT": "Italy",
    "JP": "Japan",
    "KE": "Kenya",
    "KR": "South Korea",
    "MX": "Mexico",
    "MY": "Malaysia",
    "NG": "Nigeria",
    "NL": "Netherlands",
    "NO": "Norway",
    "NZ": "New Zealand",
    "PH": "Philippines",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SA": "Saudi Arabia",
    "SE": "Sweden",
    "SG": "Singapore",
    "TH": "Thailand",
    "TR": "Türkiye",
    "TW": "Taiwan",
    "UA": "Ukraine",
    "US": "United States",
    "VN": "Vietnam",
    "ZA": "South Africa",
}


@cache
def _known_zones() -> frozenset[str]:
    # Reading the zone database opens hundreds of files: once per process is enough.
    return frozenset(available_timezones() | {"UTC"})


def zone_choices(current: str | None) -> list[tuple[str, list[str]]]:
    """(region, zones) for the time zone select: the common zones this machine knows, plus
    ``current`` (a schedule's zone) in a group of its own when it is not among them."""
    known = _known_zones()
    groups = [(label, [zone for zone in zones if zone in known]) for label, zones in ZONE_GROUPS]
    listed = {zone for _, zones in ZONE_GROUPS for zone in zones}
    if current and current not in listed:
        groups.append(("Current", [current]))
    return [(label, zones) for label, zones in groups if zones]
