"""The words of the exchange form: each field's help and its label in the "still to fill in"
line."""

from __future__ import annotations

FORM_HELP = {
    "partnership": "The partnership that sends (and pays) the visitor: the exchange counts for it.",
    "reference": "Your own reference, unique within the partnership (e.g. GTEX-2026-0042). "
    "An import with the same reference updates this record instead of adding another.",
    "status": "Planned: agreed in principle. Confirmed: the agreement is signed. Completed: the "
    "stay took place and its closing report was validated. Cancelled: will not take place.",
    "modality": "A physical stay travels to the host. Virtual stays are recorded but never "
    "funded, and counted apart.",
    "start_date": "First day at the host (travel days are not part of the stay).",
    "end_date": "Last day at the host. A stay lasts at least 3 working days and at most one "
    "calendar month.",
    "visitor_organisation": "Legal name of the organisation that travels. Type part of it and "
    "press Enter: organisations already in the register are offered below.",
    "host_organisation": "Legal name of the organisation that receives the visitor. Type part "
    "of it and press Enter: organisations already in the register are offered below.",
    "pick": "Picking one fills its country, type and SME status as the register knows them.",
    "country": "Country of the organisation; the two sides must be in different eligible "
    "countries.",
    "visitor_type": "Visitors are cluster, business network or scale-up support organisations, "
    "or SMEs.",
    "host_type": "Any type of organisation may host.",
    "is_sme": "As declared: fewer than 250 staff and turnover up to EUR 50 M or balance sheet "
    "up to EUR 43 M (EU Recommendation 2003/361).",
    "community": "Relative to the sending partnership. Partner: a consortium member. Member: a "
    "member organisation of a partner cluster. External: beyond the partnership community "
    "(what the 25 % target counts).",
    "ecosystem": "The EU industrial ecosystem the exchange serves; reports break figures down "
    "by it.",
    "activity": "What the stay is mainly for; reports break figures down by it.",
    "distance_km": "Distance between the two organisations. Under 200 km the lump sum is "
    "halved; leave empty when unknown.",
    "representative": "Name of the person who travels. Personal data: optional, and erased "
    "after the retention period.",
    "lump_sum_eur": "Leave empty to pay what the rule gives (shown above). Give an amount only "
    "when your partnership pays a different one, at most EUR 1,100.00.",
    "cancellation_reason": "Why the exchange will not take place (required to cancel).",
    "notes": "Anything else worth keeping with the record; searchable in the Exchanges list.",
}


# Field names as the form labels them (for the "still to fill in" line).
FORM_LABELS = {
    "partnership": "Partnership",
    "reference": "Reference",
    "status": "Status",
    "start_date": "First day at the host",
    "end_date": "Last day at the host",
    **{
        f"{side}_{name}": f"{who}: {what}"
        for side, who in (("visitor", "Visiting organisation"), ("host", "Host organisation"))
        for name, what in (
            ("organisation", "legal name"),
            ("country", "country"),
            ("type", "type"),
            ("is_sme", "SME or not"),
            ("community", "community"),
        )
    },
}
