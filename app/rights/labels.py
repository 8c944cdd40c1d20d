"""The words of the documents sent to people, in Swedish and English — in one place.

Art 12(1) asks for "concise, transparent, intelligible and easily accessible form, using
clear and plain language": a person reads field labels, not JSON keys. Every label is
given in both languages side by side; a test checks that each key, each value of the
enums shown and each field of each record category has both.

- `TEXT`: headings, labels and explanations of the readable access report.
- `VALUES`: the words for coded values (`contact` → "Kontaktuppgifter").
- `FIELDS`: the labels of the `data` fields of each record category.
- `MONTHS`: month names for dates in the person's language ("25 november 2026").

Swedish follows IMY's and the Swedish text of the GDPR's terms ("personuppgiftsansvarig",
"registerutdrag", "artikel 15.1 a").
"""

from __future__ import annotations

from typing import Final

from app.notices.schemas import Lang

Words = dict[Lang, str]


def _w(sv: str, en: str) -> Words:
    return {"sv": sv, "en": en}


MONTHS: Final[dict[Lang, tuple[str, ...]]] = {
    # Swedish month names are written in lower case (Svenska skrivregler).
    "sv": (
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

TEXT: Final[dict[str, Words]] = {
    # The document.
    "title": _w("Registerutdrag", "Access report"),
    "title_from": _w("Registerutdrag från {controller}", "Access report from {controller}"),
    "intro": _w(
        "Det här är ett registerutdrag enligt artikel 15 i dataskyddsförordningen (GDPR): "
        "alla personuppgifter vi har om dig och information om hur vi behandlar dem.",
        "This is an access report under Article 15 of the General Data Protection "
        "Regulation (GDPR): all personal data we hold about you, and how we process it.",
    ),
    "generated_at": _w("Upprättat", "Generated"),
    "notice_version": _w("Integritetspolicy, version", "Privacy notice, version"),
    "time_zone": _w("Tider anges i tidszonen", "Times are given in the time zone"),
    "contents": _w("Innehåll", "Contents"),
    "yes": _w("Ja", "Yes"),
    "no": _w("Nej", "No"),
    "none": _w("Inga", "None"),
    "not_stated": _w("Framgår inte", "Not stated"),
    "field": _w("Uppgift", "Item"),
    "value": _w("Värde", "Value"),
    "code": _w("kod", "code"),
    "notice_missing_heading": _w(
        "Integritetspolicy saknas", "No privacy notice has been published"
    ),
    "notice_missing": _w(
        "Den personuppgiftsansvarige har ännu inte publicerat någon integritetspolicy. "
        "Alla personuppgifter vi har om dig finns ändå med i detta utdrag (artikel 15.3). "
        "Det som bara integritetspolicyn kan ange – vem som är personuppgiftsansvarig, "
        "ändamål och rättslig grund, mottagare, hur länge uppgifterna sparas, överföringar "
        "till tredjeland och dina rättigheter – saknas därför här. Du har ändå rätt att få "
        "den informationen (artikel 15.1 och 15.2): fråga den som skickade utdraget.",
        "The controller has not yet published a privacy notice. All personal data we hold "
        "about you is nevertheless included in this report (Article 15(3)). What only the "
        "privacy notice can state – who the controller is, the purposes and legal bases, "
        "the recipients, how long the data is kept, transfers to third countries and your "
        "rights – is therefore missing here. You are still entitled to that information "
        "(Article 15(1) and (2)): ask whoever sent you this report.",
    ),
    "from_notice_missing": _w(
        "Framgår inte: ingen integritetspolicy är publicerad.",
        "Not stated: no privacy notice has been published.",
    ),
    # Sections (h2), with the point of Art 15 each answers.
    "h_controller": _w("Personuppgiftsansvarig", "Controller"),
    "h_subject": _w("Du i vårt register", "You in our records"),
    "h_records": _w("Personuppgifter vi har om dig", "Personal data we hold about you"),
    "h_categories": _w(
        "Kategorier av personuppgifter (artikel 15.1 b)",
        "Categories of personal data (Art 15(1)(b))",
    ),
    "h_purposes": _w(
        "Ändamål och rättslig grund (artikel 15.1 a)",
        "Purposes and legal bases (Art 15(1)(a))",
    ),
    "h_recipients": _w("Mottagare (artikel 15.1 c)", "Recipients (Art 15(1)(c))"),
    "h_retention": _w(
        "Hur länge uppgifterna sparas (artikel 15.1 d)",
        "How long the data is kept (Art 15(1)(d))",
    ),
    "h_sources": _w(
        "Varifrån uppgifterna kommer (artikel 15.1 g)",
        "Where the data comes from (Art 15(1)(g))",
    ),
    "h_transfers": _w(
        "Överföring till länder utanför EU/EES (artikel 15.2)",
        "Transfers outside the EU/EEA (Art 15(2))",
    ),
    "h_rights": _w("Dina rättigheter (artikel 15.1 e)", "Your rights (Art 15(1)(e))"),
    "h_objection_right": _w("Rätt att göra invändningar (artikel 21)", "Right to object (Art 21)"),
    "h_consent_withdrawal": _w("Återkalla samtycke", "Withdrawing consent"),
    "h_objections": _w("Dina invändningar", "Your objections"),
    "h_complaint": _w(
        "Klagomål till tillsynsmyndighet (artikel 15.1 f)",
        "Complaints to a supervisory authority (Art 15(1)(f))",
    ),
    "h_automated": _w(
        "Automatiserat beslutsfattande (artikel 15.1 h)",
        "Automated decision-making (Art 15(1)(h))",
    ),
    "h_erasure": _w("Radering", "Erasure"),
    # The controller and its data protection officer or contact point.
    "controller_name": _w("Namn", "Name"),
    "organisation_number": _w("Organisationsnummer", "Organisation number"),
    "address": _w("Adress", "Address"),
    "contact": _w("Kontakt", "Contact"),
    "dpo": _w("Dataskyddsombud eller kontaktpunkt", "Data protection officer or contact point"),
    "dpo_kind": _w("Slag", "Kind"),
    # The subject.
    "subject_caption": _w("Hur du finns i vårt register", "How you appear in our records"),
    "subject_id": _w("Ditt id i registret", "Your id in our records"),
    "status": _w("Status", "Status"),
    "emails": _w("E-postadresser", "Email addresses"),
    "phones": _w("Telefonnummer", "Phone numbers"),
    "external_refs": _w("Id i andra system", "Ids in other systems"),
    "subject_restricted": _w(
        "All behandling begränsad (artikel 18)", "All processing restricted (Art 18)"
    ),
    "marketing_objection": _w("Invänt mot direktmarknadsföring", "Objected to direct marketing"),
    "restricted_purposes": _w(
        "Ändamål som dina uppgifter inte används för",
        "Purposes your data is not used for",
    ),
    "notice_given_at": _w(
        "Integritetsinformation lämnad till dig", "Privacy information given to you"
    ),
    "version": _w("Version", "Version"),
    "created_at": _w("Registrerad", "Registered"),
    "updated_at": _w("Senast ändrad", "Last changed"),
    # Records.
    "records_none": _w("Vi har inga poster om dig.", "We hold no records about you."),
    "record_caption": _w(
        "{category}: post {number} av {count}", "{category}: record {number} of {count}"
    ),
    "record_id": _w("Post-id", "Record id"),
    "record_subject_id": _w("Tillhör id", "Belongs to id"),
    "source": _w("Källa", "Source"),
    "origin": _w("Ursprung", "Origin"),
    "record_restricted": _w("Begränsad (artikel 18)", "Restricted (Art 18)"),
    "no_data": _w("Uppgifterna finns inte längre.", "The data no longer exists."),
    # Other people's data (Art 15(4)), for a report released through a request.
    "h_review": _w("Uppgifter om andra personer", "Information about other people"),
    "review_intro": _w(
        "Vissa uppgifter lämnas inte ut eller har tagits bort ur utdraget, eftersom de rör "
        "andra personer och ett utlämnande skulle inverka negativt på deras rättigheter och "
        "friheter. Vi har bedömt varje sådan uppgift för sig.",
        "Some information is not given or has been taken out of this report because it "
        "concerns other people, and giving it would adversely affect their rights and "
        "freedoms. We assessed each item on its own.",
    ),
    "withheld_records": _w("Uppgifter som inte lämnas ut", "Records not given"),
    "rights_request_id": _w("Ärendenummer", "Request reference"),
    "redacted_caption": _w("Uppgifter där delar har tagits bort", "Records with parts taken out"),
    "redacted_fields": _w("Borttagna delar", "Parts taken out"),
    "redacted_value": _w("Borttaget – rör andra personer", "Taken out – concerns other people"),
    # Categories.
    "categories_caption": _w(
        "Kategorier av uppgifter vi har om dig", "Categories of data we hold about you"
    ),
    "category": _w("Kategori", "Category"),
    "record_count": _w("Antal poster", "Records"),
    "description": _w("Beskrivning", "Description"),
    "purposes": _w("Ändamål", "Purposes"),
    "legal_bases": _w("Rättslig grund", "Legal basis"),
    # Purposes.
    "purposes_caption": _w(
        "Ändamål som dina uppgifter behandlas för", "Purposes your data is processed for"
    ),
    "purpose": _w("Ändamål", "Purpose"),
    "legitimate_interest": _w("Berättigat intresse", "Legitimate interest pursued"),
    "your_categories": _w("Dina uppgifter", "Your data"),
    # Recipients.
    "recipient_categories_caption": _w("Kategorier av mottagare", "Categories of recipients"),
    "recipient_category": _w("Mottagare", "Recipient"),
    "recipient_names": _w("Namngivna mottagare", "Named recipients"),
    "named_caption": _w(
        "System som har fått eller ska få uppgifter om dig",
        "Systems that were or will be sent data about you",
    ),
    "named_none": _w(
        "Inga system har fått uppgifter om dig från oss.",
        "No system has been sent data about you by us.",
    ),
    "recipient_id": _w("Mottagar-id", "Recipient id"),
    "recipient_name": _w("Namn", "Name"),
    "events": _w("Händelser", "Events"),
    "first_sent_at": _w("Första gången", "First sent"),
    "last_sent_at": _w("Senaste gången", "Last sent"),
    # Retention.
    "retention_caption": _w("Hur länge varje kategori sparas", "How long each category is kept"),
    "period": _w("Lagringstid", "Retention period"),
    "rules": _w("Lagregler", "Statutory rules"),
    "criteria": _w("Kriterier", "Criteria"),
    "retention_records_caption": _w(
        "Poster som lag kräver att vi sparar, och till vilket datum",
        "Records the law requires us to keep, and until when",
    ),
    "until": _w("Sparas till och med", "Kept until"),
    "rule": _w("Regel", "Rule"),
    "reference": _w("Lagrum", "Legal reference"),
    # Sources.
    "sources_caption": _w("System som uppgifterna kommer från", "Systems the data comes from"),
    "categories": _w("Kategorier", "Categories"),
    # Transfers.
    "outside_eea": _w(
        "Uppgifter överförs till länder utanför EU/EES",
        "Data is transferred outside the EU/EEA",
    ),
    "transfers_caption": _w("Överföringar och skyddsåtgärder", "Transfers and safeguards"),
    "country": _w("Land", "Country"),
    "recipient": _w("Mottagare", "Recipient"),
    "mechanism": _w("Grund för överföringen", "Ground for the transfer"),
    "article": _w("Artikel", "Article"),
    "safeguard": _w("Skyddsåtgärd", "Safeguard"),
    "safeguard_copy": _w("Kopia av skyddsåtgärden", "Copy of the safeguard"),
    # Rights and objection.
    "rights_caption": _w(
        "Dina rättigheter enligt dataskyddsförordningen", "Your rights under the GDPR"
    ),
    "right": _w("Rättighet", "Right"),
    "objection_general": _w(
        "Invändning mot behandling som grundar sig på berättigat intresse",
        "Objection to processing based on legitimate interests",
    ),
    "objection_direct_marketing": _w(
        "Invändning mot direktmarknadsföring", "Objection to direct marketing"
    ),
    "objection_caption": _w("Invändning {number} av {count}", "Objection {number} of {count}"),
    "objections_none": _w("Du har inte gjort några invändningar.", "You have made no objections."),
    "objection_id": _w("Invändnings-id", "Objection id"),
    "grounds": _w("Dina skäl", "Your grounds"),
    "objected_at": _w("Gjord", "Made"),
    "decided_at": _w("Beslutad", "Decided"),
    "outcome": _w("Beslut", "Decision"),
    "reasons": _w("Våra skäl", "Our reasons"),
    # Complaint and automated decision-making.
    "authority": _w("Tillsynsmyndighet", "Supervisory authority"),
    "website": _w("Webbplats", "Website"),
    "automated_used": _w(
        "Används automatiserat beslutsfattande", "Is automated decision-making used"
    ),
    "logic": _w("Logiken bakom", "The logic involved"),
    "significance": _w("Betydelse och följder för dig", "Significance and consequences for you"),
    # Erasure.
    "erasure_intro": _w(
        "Dina uppgifter har raderats. Det som lag kräver att vi sparar finns kvar till "
        "och med datumet nedan och raderas sedan.",
        "Your data has been erased. What the law requires us to keep remains until the "
        "date below and is then deleted.",
    ),
    "erasure_caption": _w("Raderingen", "The erasure"),
    "erased_at": _w("Raderad", "Erased"),
    "dry_run": _w("Endast förhandsvisning", "Preview only"),
    "erased_count": _w("Raderade poster", "Records erased"),
    "kept_count": _w("Sparade poster", "Records kept"),
    "erased_caption": _w("Raderade poster", "Records erased"),
    "kept_caption": _w("Poster som sparas och varför", "Records kept, and why"),
    "holds": _w("Skäl att spara", "Reasons to keep"),
    "hold_id": _w("Regel eller bevarande-id", "Rule or hold id"),
}

VALUES: Final[dict[str, dict[str, Words]]] = {
    "category": {
        "contact": _w("Kontaktuppgifter", "Contact details"),
        "organisation": _w("Roll i organisationen", "Place in the organisation"),
        "note": _w("Anteckningar", "Notes"),
        "meeting": _w("Möten", "Meetings"),
        "sales_document": _w("Offerter, order och fakturor", "Quotes, orders and invoices"),
        "network": _w("IP-adresser", "IP addresses"),
    },
    "origin": {
        "provided": _w("Lämnade", "Provided"),
        "observed": _w("Registrerade automatiskt", "Observed"),
        "derived": _w("Härledda", "Derived"),
    },
    "subject_status": {
        "active": _w("Aktiv", "Active"),
        "restricted": _w("Begränsad (artikel 18)", "Restricted (Art 18)"),
        "erased": _w("Raderad", "Erased"),
        "merged": _w("Sammanslagen med en annan registrerad", "Merged into another subject"),
    },
    "sales_document_kind": {
        "quote": _w("Offert", "Quote"),
        "order": _w("Order", "Order"),
        "invoice": _w("Faktura", "Invoice"),
    },
    "right": {
        "access": _w("Rätt till tillgång (registerutdrag)", "Right of access"),
        "rectification": _w("Rätt till rättelse", "Right to rectification"),
        "erasure": _w("Rätt till radering", "Right to erasure"),
        "restriction": _w("Rätt till begränsning av behandling", "Right to restriction"),
        "portability": _w("Rätt till dataportabilitet", "Right to data portability"),
        "objection": _w("Rätt att göra invändningar", "Right to object"),
    },
    "mechanism": {
        "adequacy": _w("Beslut om adekvat skyddsnivå", "Adequacy decision"),
        "scc": _w("Standardavtalsklausuler", "Standard contractual clauses"),
        "bcr": _w("Bindande företagsbestämmelser", "Binding corporate rules"),
        "derogation": _w(
            "Undantag för en särskild situation", "Derogation for a specific situation"
        ),
    },
    "dpo_kind": {
        "dpo": _w("Dataskyddsombud", "Data protection officer"),
        "contact_point": _w("Kontaktpunkt", "Contact point"),
    },
    "objection_status": {
        "pending": _w("Under prövning", "Pending"),
        "decided": _w("Avgjord", "Decided"),
    },
    "objection_outcome": {
        "upheld": _w("Bifallen: behandlingen har upphört", "Upheld: the processing has stopped"),
        "rejected": _w("Avslagen", "Rejected"),
    },
    "hold_kind": {
        "statutory": _w("Lagkrav", "Required by law"),
        "legal": _w("Rättsligt anspråk", "Legal claim"),
    },
    "erasure_status": {
        "erased": _w("Raderad", "Erased"),
    },
}

FIELDS: Final[dict[str, dict[str, Words]]] = {
    "contact": {
        "name": _w("Namn", "Name"),
        "title": _w("Titel", "Title"),
        "email": _w("E-post", "Email"),
        "phone": _w("Telefon", "Phone"),
        "address": _w("Adress", "Address"),
    },
    "organisation": {
        "department": _w("Avdelning", "Department"),
        "manager": _w("Chef", "Manager"),
    },
    "note": {"text": _w("Anteckning", "Note")},
    "meeting": {
        "start": _w("Början", "Start"),
        "end": _w("Slut", "End"),
        "subject": _w("Ämne", "Subject"),
        "participants": _w("Deltagare", "Participants"),
    },
    "sales_document": {
        "kind": _w("Typ", "Type"),
        "number": _w("Nummer", "Number"),
        "date": _w("Datum", "Date"),
        "financial_year_end": _w("Räkenskapsårets sista dag", "Last day of the financial year"),
        "amount": _w("Belopp", "Amount"),
        "currency": _w("Valuta", "Currency"),
        "is_verification": _w("Verifikation (räkenskapsinformation)", "Accounting verification"),
    },
    "network": {
        "ip": _w("IP-adress", "IP address"),
        "first_seen": _w("Först registrerad", "First seen"),
        "last_seen": _w("Senast registrerad", "Last seen"),
        "context": _w("Sammanhang", "Context"),
    },
}

# Which coded data fields take their words from `VALUES`.
FIELD_VALUES: Final[dict[tuple[str, str], str]] = {
    ("sales_document", "kind"): "sales_document_kind",
}
