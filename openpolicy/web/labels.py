"""Words for the stored codes (results, ballots, chambers, stages, provinces…), in both languages.

The database keeps stable codes (`agreed`, `second_reading`, `QC`); these are the words a
reader sees. Each is marked with `N_` so Babel extracts it, and translated at render time.
"""

from __future__ import annotations

from openpolicy.web.i18n import N_, Lang, translate

RESULTS = {
    "agreed": N_("Agreed to"),
    "negatived": N_("Negatived"),
    "tied": N_("Tied"),
}
BALLOTS = {"yea": N_("Yea"), "nay": N_("Nay"), "paired": N_("Paired")}
CHAMBERS = {
    "house": N_("House of Commons"),
    "senate": N_("Senate"),
    "royal_assent": N_("Royal assent"),
}
STAGES = {
    "first_reading": N_("First reading"),
    "second_reading": N_("Second reading"),
    "committee": N_("Committee"),
    "report": N_("Report stage"),
    "third_reading": N_("Third reading"),
    "senate_pre_study": N_("Senate pre-study"),
    "royal_assent": N_("Royal assent"),
    "other": N_("Other stage"),
}
STAGE_STATES = {
    "completed": N_("Completed"),
    "in_progress": N_("In progress"),
    "not_reached": N_("Not reached"),
    "other": N_("Other"),
}
BILL_TYPES = {
    "government": N_("Government bill"),
    "private_member": N_("Private member's bill"),
    "senate_government": N_("Senate government bill"),
    "senate_public": N_("Senate public bill"),
    "senate_private": N_("Senate private bill"),
}
PROVINCES = {
    "AB": N_("Alberta"),
    "BC": N_("British Columbia"),
    "MB": N_("Manitoba"),
    "NB": N_("New Brunswick"),
    "NL": N_("Newfoundland and Labrador"),
    "NS": N_("Nova Scotia"),
    "NT": N_("Northwest Territories"),
    "NU": N_("Nunavut"),
    "ON": N_("Ontario"),
    "PE": N_("Prince Edward Island"),
    "QC": N_("Quebec"),
    "SK": N_("Saskatchewan"),
    "YT": N_("Yukon"),
}
SOURCE_STATUS = {
    "never_run": N_("Never run"),
    "running": N_("Running"),
    "ok": N_("OK"),
    "degraded": N_("Degraded"),
    "failed": N_("Failed"),
    "disabled": N_("Disabled"),
}
INCIDENT_STATUS = {
    "Investigating": N_("Investigating"),
    "Identified": N_("Identified"),
    "Monitoring": N_("Monitoring"),
    "Resolved": N_("Resolved"),
}
SEARCH_TYPES = {
    "speech": N_("Speeches"),
    "bill": N_("Bills"),
    "division": N_("Divisions"),
    "member": N_("Members"),
}
PARTIES = {
    "Liberal": N_("Liberal"),
    "Conservative": N_("Conservative"),
    "Bloc Québécois": N_("Bloc Québécois"),
    "NDP": N_("NDP"),
    "Green Party": N_("Green Party"),
    "Independent": N_("Independent"),
    "People's Party": N_("People's Party"),
}
# Presiding officers as Hansard prints them in English (the stored speaker role).
ROLES = {
    "The Speaker": N_("The Speaker"),
    "The Deputy Speaker": N_("The Deputy Speaker"),
    "The Acting Speaker": N_("The Acting Speaker"),
    "The Assistant Deputy Speaker": N_("The Assistant Deputy Speaker"),
    "The Chair": N_("The Chair"),
}
SOURCE_NAMES = {
    "bills": N_("Bills (LEGISinfo)"),
    "bill": N_("Bill details (LEGISinfo)"),
    "members": N_("Members (ourcommons.ca)"),
    "votes": N_("Divisions (ourcommons.ca)"),
    "ballots": N_("Ballots (ourcommons.ca)"),
    "hansard": N_("Hansard (ourcommons.ca)"),
    "debates": N_("Hansard (ourcommons.ca)"),
}


def label(table: dict[str, str], code: str | None, lang: Lang) -> str:
    """The reader's word for `code`; the code itself when it is not one we know."""
    if code is None:
        return ""
    word = table.get(code)
    return translate(lang, word) if word is not None else code


TABLES: dict[str, dict[str, str]] = {
    "result": RESULTS,
    "ballot": BALLOTS,
    "chamber": CHAMBERS,
    "stage": STAGES,
    "stage_state": STAGE_STATES,
    "bill_type": BILL_TYPES,
    "province": PROVINCES,
    "source_status": SOURCE_STATUS,
    "incident_status": INCIDENT_STATUS,
    "search_type": SEARCH_TYPES,
    "source": SOURCE_NAMES,
    "party": PARTIES,
    "role": ROLES,
}
