"""What a header's words say: that a column holds sensitive data, identifies a row, counts
something or describes another column."""

from __future__ import annotations

import re

#: headers (split into words) that name sensitive data; values are never read into a draft
SENSITIVE_WORDS = {
    "name": "a name",
    "forename": "a name",
    "surname": "a name",
    "firstname": "a name",
    "lastname": "a name",
    "fullname": "a name",
    "dob": "a date of birth",
    "birth": "a date of birth",
    "postcode": "a postcode",
    "address": "an address",
    "street": "an address",
    "nhs": "an NHS number",
    "chi": "a CHI number",
    "upn": "a pupil number",
    "uln": "a learner number",
    "ni": "a National Insurance number",
    "nino": "a National Insurance number",
    "ssn": "a social security number",
    "phone": "a phone number",
    "telephone": "a phone number",
    "mobile": "a phone number",
    "email": "an email address",
    "notes": "free text",
    "note": "free text",
    "comment": "free text",
    "comments": "free text",
    "narrative": "free text",
}
#: a last word that makes a header describe data rather than hold it: ``NameDataQuality`` and
#: ``dob_source`` hold codes about a name and a date of birth, not the name or the date
DESCRIBING_WORDS = {
    "quality",
    "type",
    "status",
    "source",
    "flag",
    "known",
    "consent",
    "method",
    "reason",
    "indicator",
    "provided",
    "recorded",
    "verified",
}
#: the last word of a header that names an identifier of its own (``PersonalID``, ``case_ref``)
IDENTIFIER_WORDS = {"id", "ref", "reference", "identifier"}
#: an ID of a person (``person_id``, ``client_ref``): pseudonymous, but it links records
PERSON_WORDS = {
    "person",
    "personal",
    "client",
    "patient",
    "pupil",
    "child",
    "individual",
    "customer",
}
ID_WORDS = {"id", "ref", "reference", "number", "no", "identifier", "key", "code"}
QUANTITY_WORDS = {
    "count",
    "number",
    "num",
    "no",
    "total",
    "age",
    "days",
    "hours",
    "minutes",
    "amount",
    "score",
    "sessions",
    "contacts",
    "year",
    "years",
    "qty",
    "quantity",
    "weeks",
    "months",
    "size",
    "duration",
    "cost",
}


def tokens(header: str) -> list[str]:
    """A header's words as written: ``PersonID``, ``person_id`` and ``Person ID`` give
    Person, ID (or person, id); ``SSNDataQuality`` gives SSN, Data, Quality; an acronym of
    two capitals about a small letter at the end stays one: ``RelationshipToHoH``."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", header)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    found = [w for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]
    if len(found) > 1 and len(found[-1]) == 1 and re.fullmatch("[A-Z][a-z]", found[-2]):
        found[-2:] = [found[-2] + found[-1]]  # RelationshipToHoH: HoH (head of household)
    return found


def words(header: str) -> list[str]:
    """A header's words in lower case: ``PersonID`` and ``person_id`` give person, id."""
    return [w.lower() for w in tokens(header)]


def sensitive_reason(header: str) -> str | None:
    """Why a header names sensitive data, or None."""
    parts = words(header)
    if len(parts) > 1 and parts[-1] in DESCRIBING_WORDS:
        return None  # NameDataQuality: a code about a name
    joined = "".join(parts)
    for word in parts:
        if word in SENSITIVE_WORDS:
            return f"its name suggests {SENSITIVE_WORDS[word]}"
    for phrase in (
        "dateofbirth",
        "postcode",
        "firstname",
        "lastname",
        "fullname",
        "nhsnumber",
        "socialsecurity",
        "nationalinsurance",
    ):
        if phrase in joined:
            return "its name suggests personal data"
    if PERSON_WORDS & set(parts) and ID_WORDS & set(parts):
        return "its name suggests an identifier of a person"
    return None


def plural(header: str) -> bool:
    """Whether a header's last word is a plural noun (``onward_referrals``, ``Needs``)."""
    last = (words(header) or [""])[-1]
    return len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is", "ys"))
