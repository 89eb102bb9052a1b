"""The report's part for each provider, and its methods section."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lp_audit.auditing.result import AuditResult
    from lp_audit.definitions import Definition

from lp_audit.reports.context import (
    CLASS_LABELS,
    PROFILE_CLASSES,
    Cell,
    Disclosure,
    ProviderPart,
    Table,
)


def provider_part(
    result: AuditResult, definition: Definition, policy: Disclosure, provider: str, latest: str
) -> ProviderPart:
    name = result.config.provider_name(provider)
    profile = result.profile
    mine = profile[(profile["provider"] == provider) & (profile["period"] == latest)]
    rows = []
    for f in definition.fields:
        field_rows = mine[mine["field"] == f.name]
        if not len(field_rows):
            continue
        rows.append(
            (
                Cell(f.label),
                *(
                    policy.count(int(field_rows[c].iloc[0]), ("class", provider, latest, f.name, c))
                    for c in PROFILE_CLASSES
                ),
                policy.count(int(field_rows["rows"].iloc[0]), ("rows", provider, latest)),
            )
        )
    capture = Table(
        f"capture-{provider}",
        f"{name}: how each field was captured, {latest} (rows)",
        ("Field", *(CLASS_LABELS[c] for c in PROFILE_CLASSES), "Rows"),
        tuple(rows),
    )
    findings_rows = []
    for r in result.returns:
        if r.provider != provider or r.period != latest or not len(r.findings):
            continue
        grouped = r.findings.groupby(["severity", "code", "field"], dropna=False, sort=False)
        summary = grouped.agg(
            count=("code", "size"), lines=("line", lambda s: [int(x) for x in s.dropna()][:3])
        ).reset_index()
        summary = summary.sort_values(["severity", "count"], ascending=[True, False]).head(10)
        for item in summary.to_dict("records"):
            rec: dict[str, Any] = {str(k): v for k, v in item.items()}
            fname = rec["field"] if isinstance(rec["field"], str) else ""
            findings_rows.append(
                (
                    Cell(str(rec["severity"])),
                    Cell(str(rec["code"])),
                    Cell(definition.labels().get(fname, fname) if fname else "file"),
                    policy.count(
                        int(rec["count"]),
                        (
                            "finding",
                            provider,
                            latest,
                            fname,
                            str(rec["severity"]),
                            str(rec["code"]),
                        ),
                    ),
                    Cell(", ".join(str(x) for x in rec["lines"]) or "—"),
                )
            )
    findings = Table(
        f"findings-{provider}",
        f"{name}: most frequent findings, {latest}",
        ("Severity", "Finding", "Field", "Count", "Example lines"),
        tuple(findings_rows),
        note="Values are not shown: the return's own validation feedback lists them for the provider.",
    )
    score = result.scores[
        (result.scores["provider"] == provider) & (result.scores["period"] == latest)
    ]
    if not len(score):
        summary_text = f"No return for {latest}."
    elif not policy.plan.shown(("score", provider, latest)):
        summary_text = f"Score not shown for {latest} (small numbers)."
    else:
        shown = policy.score(float(score["score"].iloc[0]), ("score", provider, latest)).text
        summary_text = f"Score {shown} in {latest}."
    return ProviderPart(provider, name, summary_text, capture, findings)


def methods_section(result: AuditResult, policy: Disclosure) -> list[tuple[str, str]]:
    return [
        (
            "Capture classes",
            "Every value of every field is valid (a real value that passed its checks, perhaps "
            "after a non-standard spelling was accepted), not known (one of the field's 'not "
            "known' codes), invalid (it failed a check), missing (blank where the field is "
            "required, or blank in an optional field) or not applicable (blank in a conditional "
            "field whose condition does not hold).",
        ),
        (
            "Scores",
            "A field's score is the share of applicable rows with a valid value: 'not known' codes, "
            "invalid values and blanks all lower it. A return's score is the weighted mean of its "
            "field scores, times 100; required and conditional fields weigh 1 and optional fields "
            "0 unless the audit settings say otherwise. Completeness is (applicable - missing) / "
            "applicable; validity is (valid + not known) / (applicable - missing).",
        ),
        (
            "Control limits",
            "Funnel plots compare each provider's rate with the rate across all providers (the "
            "network), with 95% and 99.8% limits that narrow as the number of rows grows "
            "(Spiegelhalter 2005, normal approximation). A provider outside the 99.8% limits is "
            "very unlikely to differ by chance alone. Overdispersion: "
            f"{result.methods.get('overdispersion', 'not adjusted')}.",
        ),
        (
            "Category mix",
            "For coded fields, each provider's use of each code is compared with the network mix "
            "using adjusted residuals, or an exact binomial test when fewer than 5 uses are "
            "expected. Highlights need the difference to be beyond the 99.8% level and at least 10 "
            "percentage points.",
        ),
        (
            "Definition drift",
            "Signals declared in the data definition, such as contacts per engaged young person, "
            "are compared with the typical provider (the median). A value 1.5 times higher or "
            "lower is raised: it may mean a definition is read differently.",
        ),
        ("Small numbers", policy.describe()),
    ]
