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
    by_key,
)


def provider_part(
    result: AuditResult, definition: Definition, policy: Disclosure, provider: str, latest: str
) -> ProviderPart:
    name = result.config.provider_name(provider)
    profile = result.profile
    mine = by_key(
        profile[(profile["provider"] == provider) & (profile["period"] == latest)], "field"
    )
    rows = []
    for f in definition.fields:
        record = mine.get((f.name,))
        if record is None:
            continue
        rows.append(
            (
                Cell(f.label),
                *(
                    policy.count(int(record[c]), ("class", provider, latest, f.name, c))
                    for c in PROFILE_CLASSES
                ),
                policy.count(int(record["rows"]), ("rows", provider, latest)),
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
    noun = result.loaded_definition().period_every
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
            "(Spiegelhalter 2005). The limits are exact: the range of counts a provider of that "
            "size would have 95 or 99.8 times in 100 if it captured data exactly as the network "
            "does (binomial quantiles), not the normal approximation, which at 50 to 120 rows "
            "and a rate of 2% raises four to six times as many false alarms as it promises.",
        ),
        (
            "Each provider against the rest",
            "A highlight compares a provider with the rest of the network: the network without "
            "that provider, so that a large provider far from the others does not pull the "
            "comparison towards itself. When one provider stands far apart, it is also left out "
            "of the rest the others are compared with. Rates (blank, not known, invalid and "
            "non-standard values) and the use of each code are compared by Fisher's exact test; "
            "for fields that hold several codes, the share of rows that mention a code, out of "
            "rows with a value. Means and medians per row (definition drift) are compared by the "
            "Mann-Whitney rank test, and the network figure is taken over the rows, not over the "
            f"providers. A trend compares a provider's change from its first to its last {noun} "
            f"with the rest's change over the same {noun}s. Signals of values that pass every "
            "check but may stand in for ones not known (dates on the first of a month or of the "
            f"{noun}, dates like 1900-01-01, numbers like 99, text like 'unknown') are rates "
            "compared the same way.",
        ),
        (
            "False discoveries",
            f"This audit made {result.methods.get('tests', 0):,} comparisons. Among so many, some "
            "would look unusual by chance alone, so the p-values are corrected together "
            "(Benjamini and Hochberg): a difference is highlighted only when its q-value is at "
            f"most {100 * result.config.thresholds.fdr:g}%. In plain words: of the differences "
            f"highlighted, at most about {100 * result.config.thresholds.fdr:g} in 100 are "
            "expected to be chance. Each highlight gives its q-value.",
        ),
        (
            "What is worth discussing",
            "A difference must also be material: at least "
            f"{100 * result.config.thresholds.material:g} percentage points for a share, or "
            f"{result.config.thresholds.ratio:g} times (or 1/{result.config.thresholds.ratio:g} "
            "of) the rest's value for a mean or median. Highlights are ordered on one scale for "
            "every kind of difference, from the strength of the evidence (the q-value) and the "
            "size of the difference together. Returns that are missing or could not be read come "
            "first; acknowledged issues come last.",
        ),
        (
            "Overdispersion",
            "Providers differ for reasons no definition removes (who they see, where), so real "
            "networks vary more than chance alone. "
            + (
                "As the audit settings ask, the funnel limits are widened by the spread of the "
                "providers' z-scores (after setting aside the top and bottom tenth)."
                if result.config.overdispersion
                else "The limits are not widened for it: with a handful of providers the "
                "estimate is unstable and driven by the very provider being tested. Set "
                "overdispersion: true in the audit settings for networks of ten or more."
            ),
        ),
        ("Small numbers", policy.describe()),
    ]
