"""Care of's own privacy notice, offered to tenants as a template to copy and adapt.

Written from Care of's privacy policy (seed/dataskyddspolicy-care-of.txt) in the notice
model, as a data protection officer would correct it:

- contact persons are mostly employees of a customer company and not party to its
  contract, so their data rests on legitimate interests (Art 6(1)(f)) with the interest
  stated; the contract basis (Art 6(1)(b)) is kept for a person who is the customer
  (a sole trader);
- a retention period or concrete criteria per category (WP260 rev.01 §48); accounting
  records under the service's rule for Bokföringslagen 7 kap. 2 § (`se-bfl-7-2`);
- transfers per destination with their Chapter V mechanism, not "a data processing
  agreement" (an Art 28 contract is no transfer tool);
- the Art 21(1) objection stated separately (Art 21(4)); a contact point for data
  protection questions (Art 13(1)(b));
- the legal terms of the Swedish text of the GDPR: personuppgiftsansvarig,
  personuppgiftsbiträde, underbiträde, standardavtalsklausuler, berättigat intresse,
  tredjeland; in English processor and sub-processor.

It is never anyone's notice until a tenant publishes it: no tenant sees it in place of
its own. The policy gives no organisation number; `556XXX-XXXX` stands in for it.
"""

from __future__ import annotations

from typing import Any

from app.notices.schemas import Lang, NoticeDocument

ORGANISATION_NUMBER = "556XXX-XXXX"
ADDRESS = "Västra Kvarngatan 64, 611 32 Nyköping"

# (code, legal basis, {lang: (title, legitimate interest or None)})
_PURPOSES: list[tuple[str, str, dict[str, tuple[str, str | None]]]] = [
    (
        "customer-relationship",
        "legitimate_interests",
        {
            "sv": (
                "Leverera och administrera Cirrus till det kundföretag du företräder: "
                "identifiera kunden och dess kontaktpersoner, kundtjänst, support och "
                "annan administration av kundavtalet.",
                "Vårt och kundföretagets berättigade intresse av att fullgöra avtalet "
                "mellan företagen, vilket förutsätter att vi kan identifiera och "
                "kommunicera med de personer som företräder kunden.",
            ),
            "en": (
                "Delivering and administering Cirrus to the customer company you "
                "represent: identifying the customer and its contact persons, customer "
                "service, support and other administration of the customer contract.",
                "Our and the customer company's legitimate interest in performing the "
                "contract between the companies, which requires that we can identify and "
                "communicate with the people who represent the customer.",
            ),
        },
    ),
    (
        "contract",
        "contract",
        {
            "sv": (
                "Fullgöra avtalet med dig när du själv är part i det, till exempel som "
                "enskild näringsidkare.",
                None,
            ),
            "en": (
                "Performing the contract with you where you are yourself a party to it, "
                "for example as a sole trader.",
                None,
            ),
        },
    ),
    (
        "invoicing",
        "legitimate_interests",
        {
            "sv": (
                "Fakturera kunden och hantera betalningar.",
                "Vårt berättigade intresse av att kunna fakturera kundföretaget och få "
                "betalt enligt avtalet.",
            ),
            "en": (
                "Invoicing the customer and handling payments.",
                "Our legitimate interest in invoicing the customer company and being paid "
                "under the contract.",
            ),
        },
    ),
    (
        "bookkeeping",
        "legal_obligation",
        {
            "sv": (
                "Bokföra affärshändelser och bevara räkenskapsinformation enligt "
                "bokföringslagen (1999:1078).",
                None,
            ),
            "en": (
                "Bookkeeping and keeping accounting records as the Swedish Bookkeeping "
                "Act (1999:1078) requires.",
                None,
            ),
        },
    ),
    (
        "service-communication",
        "legitimate_interests",
        {
            "sv": (
                "Informera om nyheter, driftstörningar, ändrade villkor och andra viktiga "
                "händelser som rör Cirrus eller oss som leverantör.",
                "Vårt berättigade intresse av att kunden och dess användare får veta om "
                "förändringar som påverkar tjänsten de använder.",
            ),
            "en": (
                "Informing you of news, outages, changed terms and other important events "
                "concerning Cirrus or us as its supplier.",
                "Our legitimate interest in letting the customer and its users know of "
                "changes that affect the service they use.",
            ),
        },
    ),
    (
        "direct-marketing",
        "legitimate_interests",
        {
            "sv": (
                "Direktmarknadsföring av våra tjänster till kontaktpersoner hos kunder "
                "och tänkbara kunder, per e-post och telefon.",
                "Vårt berättigade intresse av att marknadsföra våra tjänster till företag "
                "och deras kontaktpersoner (skäl 47 i dataskyddsförordningen). Du kan när "
                "som helst invända, och då upphör marknadsföringen direkt.",
            ),
            "en": (
                "Direct marketing of our services to contact persons at customers and "
                "prospective customers, by email and telephone.",
                "Our legitimate interest in marketing our services to businesses and their "
                "contact persons (recital 47 GDPR). You may object at any time, and the "
                "marketing then stops at once.",
            ),
        },
    ),
    (
        "customer-analysis",
        "legitimate_interests",
        {
            "sv": (
                "Uppföljning av kundrelationen samt kund- och marknadsanalyser, för att "
                "utveckla tjänsten och vårt erbjudande.",
                "Vårt berättigade intresse av att förstå hur våra kunder använder tjänsten "
                "och att utveckla den. Analyserna redovisas på sammanställd nivå.",
            ),
            "en": (
                "Following up the customer relationship and customer and market analysis, "
                "to develop the service and what we offer.",
                "Our legitimate interest in understanding how our customers use the "
                "service and in developing it. The analyses are reported in aggregate.",
            ),
        },
    ),
    (
        "security",
        "legitimate_interests",
        {
            "sv": (
                "Informationssäkerhet: upptäcka, utreda och förhindra intrång, missbruk "
                "och bedrägerier samt felsöka tjänsten.",
                "Vårt berättigade intresse av att skydda tjänsten och uppgifterna i den "
                "mot obehörig åtkomst (skäl 49 i dataskyddsförordningen).",
            ),
            "en": (
                "Information security: detecting, investigating and preventing intrusion, "
                "misuse and fraud, and troubleshooting the service.",
                "Our legitimate interest in protecting the service and the data in it "
                "against unauthorised access (recital 49 GDPR).",
            ),
        },
    ),
    (
        "legal-claims",
        "legitimate_interests",
        {
            "sv": (
                "Fastställa, göra gällande eller försvara rättsliga anspråk, till exempel "
                "när en kund bryter mot avtalsvillkoren eller vid en tvist.",
                "Vårt berättigade intresse av att kunna tillvarata vår rätt vid avtalsbrott "
                "och tvister.",
            ),
            "en": (
                "Establishing, exercising or defending legal claims, for example when a "
                "customer breaches the terms of the contract or in a dispute.",
                "Our legitimate interest in protecting our rights in a breach of contract "
                "or a dispute.",
            ),
        },
    ),
    (
        "authority-requests",
        "legal_obligation",
        {
            "sv": (
                "Lämna ut uppgifter till myndigheter när vi enligt lag är skyldiga att göra "
                "det, till exempel till Skatteverket eller Polismyndigheten.",
                None,
            ),
            "en": (
                "Disclosing data to public authorities where the law obliges us to, for "
                "example to the Swedish Tax Agency or the Swedish Police Authority.",
                None,
            ),
        },
    ),
]

# category: (purpose codes, retention rule codes, {lang: (description, criteria)})
_CATEGORIES: dict[str, tuple[list[str], list[str], dict[str, tuple[str, str]]]] = {
    "contact": (
        [
            "customer-relationship",
            "contract",
            "invoicing",
            "service-communication",
            "direct-marketing",
            "customer-analysis",
            "legal-claims",
            "authority-requests",
        ],
        [],
        {
            "sv": (
                "Namn, titel, telefonnummer, adress och e-postadress.",
                "Så länge du är kontaktperson för en kund. Uppgifterna raderas senast 12 "
                "månader efter att kundavtalet har upphört eller efter att vi har fått veta "
                "att du inte längre är kontaktperson. Har du invänt mot direktmarknadsföring "
                "sparar vi enbart det som behövs för att respektera invändningen.",
            ),
            "en": (
                "Name, title, telephone number, address and email address.",
                "For as long as you are a contact person of a customer. The data is erased "
                "no later than 12 months after the customer contract has ended or after we "
                "learn that you are no longer a contact person. If you have objected to "
                "direct marketing we keep only what is needed to respect the objection.",
            ),
        },
    ),
    "organisation": (
        ["customer-relationship", "customer-analysis"],
        [],
        {
            "sv": (
                "Avdelning och chef.",
                "Raderas senast 12 månader efter att kundavtalet har upphört eller efter "
                "att vi har fått veta att du inte längre är kontaktperson.",
            ),
            "en": (
                "Department and manager.",
                "Erased no later than 12 months after the customer contract has ended or "
                "after we learn that you are no longer a contact person.",
            ),
        },
    ),
    "note": (
        ["customer-relationship"],
        [],
        {
            "sv": (
                "Anteckningar i fritext om din roll och vår affärsrelation.",
                "Raderas senast 12 månader efter att kundavtalet har upphört. Anteckningar "
                "som inte längre behövs för kundrelationen raderas dessförinnan.",
            ),
            "en": (
                "Free-text notes about your role and our business relationship.",
                "Erased no later than 12 months after the customer contract has ended. "
                "Notes no longer needed for the customer relationship are erased earlier.",
            ),
        },
    ),
    "meeting": (
        ["customer-relationship", "contract"],
        [],
        {
            "sv": (
                "Mötesbokningar: tid, ämne och deltagare.",
                "Raderas 24 månader efter mötet.",
            ),
            "en": (
                "Meeting bookings: time, subject and participants.",
                "Erased 24 months after the meeting.",
            ),
        },
    ),
    "sales_document": (
        ["invoicing", "bookkeeping", "contract", "legal-claims", "authority-requests"],
        ["se-bfl-7-2"],
        {
            "sv": (
                "Offerter, order och fakturor: nummer, datum, belopp och valuta.",
                "Fakturor, och order som utgör verifikationer, är räkenskapsinformation och "
                "bevaras till och med det sjunde året efter utgången av det kalenderår då "
                "räkenskapsåret avslutades (bokföringslagen 7 kap. 2 §). Offerter som inte "
                "har lett till en order raderas 24 månader efter offertdatumet.",
            ),
            "en": (
                "Quotes, orders and invoices: number, date, amount and currency.",
                "Invoices, and orders that serve as verifications, are accounting records "
                "and are kept until the end of the seventh year after the end of the "
                "calendar year in which the financial year ended (Swedish Bookkeeping Act, "
                "chapter 7, section 2). Quotes that did not lead to an order are erased 24 "
                "months after the date of the quote.",
            ),
        },
    ),
    "network": (
        ["security", "legal-claims"],
        [],
        {
            "sv": (
                "IP-adresser med tidpunkt (första och senaste registrering) och sammanhang, "
                "från våra webb- och API-loggar.",
                "Raderas 12 månader efter att IP-adressen senast registrerades. Loggar som "
                "behövs för att utreda en konkret säkerhetsincident sparas tills utredningen "
                "och eventuella rättsliga anspråk är avslutade.",
            ),
            "en": (
                "IP addresses with times (first and last recorded) and context, from our "
                "web and API logs.",
                "Erased 12 months after the IP address was last recorded. Logs needed to "
                "investigate a specific security incident are kept until the investigation "
                "and any legal claims have been concluded.",
            ),
        },
    ),
}

_TEXTS: dict[str, dict[str, Any]] = {
    "sv": {
        "controller": {
            "name": "Care of",
            "organisation_number": ORGANISATION_NUMBER,
            "address": ADDRESS,
            "contact": "Care of är personuppgiftsansvarig för den behandling som beskrivs "
            "här. Kontakta vår support i Cirrus eller ring vår växel. Brev skickas till "
            f"Care of, {ADDRESS}.",
        },
        "dpo": {
            "kind": "contact_point",
            "name": "Kontaktpunkt för dataskyddsfrågor",
            "contact": "Vi har inte utsett något dataskyddsombud. Frågor om hur vi behandlar "
            "personuppgifter besvaras av vår support i Cirrus, eller skriv till Care of, "
            f"Dataskydd, {ADDRESS}.",
        },
        "recipients": [
            {
                "category": "Personuppgiftsbiträden och underbiträden",
                "description": "Leverantörer som behandlar personuppgifter för vår räkning "
                "enligt personuppgiftsbiträdesavtal (artikel 28), för drift av Cirrus, "
                "e-post och kundsupport. De får bara behandla uppgifterna enligt våra "
                "instruktioner.",
                "names": [],
            },
            {
                "category": "Myndigheter och domstolar",
                "description": "Myndigheter som enligt lag har rätt att få ut uppgifter, till "
                "exempel Skatteverket och Polismyndigheten, samt domstolar när ett rättsligt "
                "anspråk ska prövas.",
                "names": [],
            },
        ],
        "transfers_outside_eea": True,
        "transfers": [
            {
                "country": "US",
                "recipient": "Underbiträden för e-post och kundsupport, som behandlar "
                "uppgifterna i USA, ett tredjeland.",
                "mechanism": "scc",
                "safeguard": "Europeiska kommissionens standardavtalsklausuler "
                "(genomförandebeslut (EU) 2021/914), med de kompletterande skyddsåtgärder "
                "som vår bedömning av mottagarlandet har visat behövs.",
                "safeguard_copy": "Du kan få en kopia av standardavtalsklausulerna genom att "
                "kontakta oss. Klausulerna finns också i kommissionens genomförandebeslut "
                "(EU) 2021/914 på eur-lex.europa.eu.",
            }
        ],
        "sources": "Uppgifterna kommer från dig eller från det kundföretag du företräder, "
        "till exempel när kunden registrerar dig som kontaktperson i Cirrus. Anteckningar "
        "skrivs av vår personal. Mötesbokningar kommer från vår kalender och "
        "försäljningsunderlag från vårt faktureringssystem. IP-adresser registreras "
        "automatiskt i våra webb- och API-loggar när tjänsten används.",
        "provision_requirement": "Du är inte skyldig att lämna uppgifter till oss. Utan "
        "kontaktuppgifter till kundens kontaktpersoner kan vi dock inte leverera tjänsten "
        "eller administrera avtalet med kunden.",
        "rights": [
            {
                "right": "access",
                "description": "Du har rätt att få bekräftelse på om vi behandlar "
                "personuppgifter om dig och i så fall få en kopia av uppgifterna och "
                "information om behandlingen (registerutdrag).",
            },
            {
                "right": "rectification",
                "description": "Du har rätt att få felaktiga uppgifter rättade och "
                "ofullständiga uppgifter kompletterade.",
            },
            {
                "right": "erasure",
                "description": "Du har rätt att få dina uppgifter raderade, till exempel när "
                "de inte längre behövs för ändamålet eller när du har invänt mot "
                "behandlingen. Uppgifter som vi enligt lag måste bevara, till exempel "
                "räkenskapsinformation, raderas när bevarandetiden har löpt ut.",
            },
            {
                "right": "restriction",
                "description": "Du har rätt att begära att behandlingen begränsas, till "
                "exempel medan vi utreder om uppgifterna är korrekta. Uppgifterna lagras då "
                "men används inte.",
            },
            {
                "right": "portability",
                "description": "Du har rätt att få ut de uppgifter som du själv har lämnat "
                "och som behandlas automatiskt med stöd av avtal eller samtycke, i ett "
                "strukturerat, allmänt använt och maskinläsbart format.",
            },
            {
                "right": "objection",
                "description": "Du har rätt att göra invändningar mot behandling som grundar "
                "sig på berättigat intresse och mot direktmarknadsföring; se avsnittet om "
                "rätten att göra invändningar.",
            },
        ],
        "objection_right": {
            "general": "Du har rätt att när som helst, av skäl som hänför sig till din "
            "specifika situation, göra invändningar mot behandling av dina personuppgifter "
            "som grundar sig på vårt berättigade intresse (artikel 6.1 f). Vi får då inte "
            "längre behandla uppgifterna för det ändamålet, om vi inte kan visa tvingande "
            "berättigade skäl som väger tyngre än dina intressen, rättigheter och friheter, "
            "eller om behandlingen behövs för att fastställa, göra gällande eller försvara "
            "rättsliga anspråk (artikel 21.1).",
            "direct_marketing": "Du har rätt att när som helst invända mot att dina "
            "personuppgifter behandlas för direktmarknadsföring. Då upphör vi omedelbart "
            "med sådan behandling (artikel 21.2 och 21.3).",
        },
        "complaint": {
            "authority": "Integritetsskyddsmyndigheten (IMY)",
            "url": "https://www.imy.se",
            "address": "Box 8114, 104 20 Stockholm",
            "description": "Om du anser att vi behandlar dina personuppgifter i strid med "
            "dataskyddsförordningen har du rätt att lämna klagomål till "
            "Integritetsskyddsmyndigheten (artikel 77). Du kan också klaga hos "
            "tillsynsmyndigheten i det EU-land där du bor eller arbetar.",
        },
        "automated_decision_making": {
            "used": False,
            "description": "Vi fattar inga beslut som enbart grundas på automatiserad "
            "behandling, inklusive profilering, och som har rättsliga följder för dig eller "
            "på liknande sätt i betydande grad påverkar dig (artikel 22).",
        },
    },
    "en": {
        "controller": {
            "name": "Care of",
            "organisation_number": ORGANISATION_NUMBER,
            "address": f"{ADDRESS}, Sweden",
            "contact": "Care of is the controller of the processing described here. "
            "Contact our support in Cirrus or call our switchboard. Letters go to Care of, "
            f"{ADDRESS}, Sweden.",
        },
        "dpo": {
            "kind": "contact_point",
            "name": "Contact point for data protection questions",
            "contact": "We have not appointed a data protection officer. Questions about how "
            "we process personal data are answered by our support in Cirrus, or write to "
            f"Care of, Data protection, {ADDRESS}, Sweden.",
        },
        "recipients": [
            {
                "category": "Processors and sub-processors",
                "description": "Suppliers that process personal data on our behalf under "
                "data processing agreements (Article 28), for the operation of Cirrus, email "
                "and customer support. They may process the data only on our instructions.",
                "names": [],
            },
            {
                "category": "Public authorities and courts",
                "description": "Authorities entitled by law to obtain data, for example the "
                "Swedish Tax Agency and the Swedish Police Authority, and courts when a "
                "legal claim is tried.",
                "names": [],
            },
        ],
        "transfers_outside_eea": True,
        "transfers": [
            {
                "country": "US",
                "recipient": "Sub-processors for email and customer support, which "
                "process the data in the United States, a third country.",
                "mechanism": "scc",
                "safeguard": "The European Commission's standard contractual clauses "
                "(Implementing Decision (EU) 2021/914), with the supplementary measures that "
                "our assessment of the destination country showed to be needed.",
                "safeguard_copy": "You can obtain a copy of the standard contractual clauses "
                "by contacting us. The clauses are also published in Commission "
                "Implementing Decision (EU) 2021/914 on eur-lex.europa.eu.",
            }
        ],
        "sources": "The data comes from you or from the customer company you represent, "
        "for example when the customer registers you as a contact person in Cirrus. Notes "
        "are written by our staff. Meeting bookings come from our calendar and sales "
        "documents from our invoicing system. IP addresses are recorded automatically in "
        "our web and API logs when the service is used.",
        "provision_requirement": "You are not obliged to provide data to us. Without the "
        "contact details of the customer's contact persons, however, we cannot deliver the "
        "service or administer the contract with the customer.",
        "rights": [
            {
                "right": "access",
                "description": "You have the right to confirmation of whether we process "
                "personal data about you and, if so, to a copy of the data and information "
                "about the processing.",
            },
            {
                "right": "rectification",
                "description": "You have the right to have inaccurate data corrected and "
                "incomplete data completed.",
            },
            {
                "right": "erasure",
                "description": "You have the right to have your data erased, for example when "
                "it is no longer needed for its purpose or when you have objected to the "
                "processing. Data that the law requires us to keep, such as accounting "
                "records, is erased when the retention period has ended.",
            },
            {
                "right": "restriction",
                "description": "You have the right to ask us to restrict processing, for "
                "example while we check whether the data is accurate. The data is then "
                "stored but not used.",
            },
            {
                "right": "portability",
                "description": "You have the right to receive the data you provided to us "
                "and that is processed automatically on the basis of a contract or consent, "
                "in a structured, commonly used and machine-readable format.",
            },
            {
                "right": "objection",
                "description": "You have the right to object to processing based on "
                "legitimate interests and to direct marketing; see the section on the right "
                "to object.",
            },
        ],
        "objection_right": {
            "general": "You have the right to object at any time, on grounds relating to "
            "your particular situation, to processing of your personal data based on our "
            "legitimate interests (Article 6(1)(f)). We will then no longer process the data "
            "for that purpose unless we demonstrate compelling legitimate grounds that "
            "override your interests, rights and freedoms, or the processing is needed to "
            "establish, exercise or defend legal claims (Article 21(1)).",
            "direct_marketing": "You have the right to object at any time to processing of "
            "your personal data for direct marketing. We will then stop such processing at "
            "once (Article 21(2) and (3)).",
        },
        "complaint": {
            "authority": "Integritetsskyddsmyndigheten (IMY), the Swedish Authority for "
            "Privacy Protection",
            "url": "https://www.imy.se",
            "address": "Box 8114, SE-104 20 Stockholm, Sweden",
            "description": "If you consider that we process your personal data in breach of "
            "the GDPR, you have the right to lodge a complaint with the Swedish Authority "
            "for Privacy Protection (Article 77). You may also complain to the supervisory "
            "authority of the EU country where you live or work.",
        },
        "automated_decision_making": {
            "used": False,
            "description": "We make no decisions based solely on automated processing, "
            "including profiling, that produce legal effects concerning you or similarly "
            "significantly affect you (Article 22).",
        },
    },
}


def _build(lang: str) -> dict[str, Any]:
    text = dict(_TEXTS[lang])
    text["purposes"] = [
        {
            "code": code,
            "title": texts[lang][0],
            "legal_basis": basis,
            **({"legitimate_interest": texts[lang][1]} if texts[lang][1] else {}),
        }
        for code, basis, texts in _PURPOSES
    ]
    text["categories"] = {
        category: {
            "description": texts[lang][0],
            "purposes": purposes,
            "retention": {"rules": rules, "criteria": texts[lang][1]},
        }
        for category, (purposes, rules, texts) in _CATEGORIES.items()
    }
    return text


CARE_OF_NOTICE: dict[str, Any] = {"sv": _build("sv"), "en": _build("en")}
TEMPLATE = NoticeDocument.model_validate(CARE_OF_NOTICE)

ABOUT: dict[Lang, str] = {
    "sv": "Detta är Care of:s egen integritetspolicy, för Care of:s egen behandling som "
    "personuppgiftsansvarig. Den är en mall: ni är personuppgiftsansvariga för de "
    "uppgifter ni samlar in och måste ersätta Care of:s identitet och anpassa ändamål, "
    "rättsliga grunder, lagringstider, mottagare och överföringar till er egen behandling "
    "innan ni publicerar den. Organisationsnumret 556XXX-XXXX är en platshållare.",
    "en": "This is Care of's own privacy notice, for Care of's own processing as a "
    "controller. It is a template: you are the controller of the data you collect and must "
    "replace Care of's identity and adapt the purposes, legal bases, retention periods, "
    "recipients and transfers to your own processing before you publish it. The "
    "organisation number 556XXX-XXXX is a placeholder.",
}

# What a tenant must check or replace before publishing (paths in each language).
ADAPT = [
    "controller",
    "dpo",
    "purposes",
    "categories.*.retention",
    "recipients",
    "transfers_outside_eea",
    "transfers",
    "sources",
    "automated_decision_making",
]
