"""The words of the letters to the person about a rights request, in Swedish and English.

Art 12(1): "concise, transparent, intelligible and easily accessible form, using clear and
plain language". Each text is given in both languages side by side; a test checks that
every key has both. Swedish follows IMY's words and the Swedish text of the GDPR
("personuppgiftsansvarig", "registerutdrag", "uppenbart ogrundad eller orimlig",
"Integritetsskyddsmyndigheten (IMY)", "artikel 12.3").

- `LETTER_TEXT`: titles, headings and sentences; `{name}` marks what the letter fills in.
- `REQUEST_WHAT`: what the person asked for, to follow "din begäran om" / "your request
  for"; `REQUEST_TYPE`: the same in a word, for the letter's facts.
- `CHANNEL`: how the request reached us, to follow "Den kom in" / "It reached us".
- `DONE`: what was done on a fulfilled request that releases no data.
- `GROUNDS`: the Art 12(5) grounds of a refusal.
- `MONTHS_COUNT`: "en månad", "två månader" (an extension).
"""

from __future__ import annotations

from typing import Final

from app.rights.labels import Words


def _w(sv: str, en: str) -> Words:
    return {"sv": sv, "en": en}


LETTER_TEXT: Final[dict[str, Words]] = {
    # Titles (h1), one per letter.
    "title_acknowledgement": _w("Vi har tagit emot din begäran", "We have received your request"),
    "title_identification": _w("Vi behöver bekräfta vem du är", "We need to confirm who you are"),
    "title_information": _w("Vi behöver mer information från dig", "We need more information"),
    "title_extension": _w(
        "Vi behöver längre tid för att besvara din begäran",
        "We need more time to answer your request",
    ),
    "title_answer": _w("Svar på din begäran", "Our answer to your request"),
    "title_refusal": _w(
        "Vi kommer inte att tillmötesgå din begäran", "We will not act on your request"
    ),
    # The letter's facts.
    "date": _w("Datum", "Date"),
    "reference": _w("Vår referens", "Our reference"),
    "concerning": _w("Ärende", "Concerning"),
    "received": _w("Mottagen", "Received"),
    # Acknowledgement.
    "received_what": _w(
        "Vi har tagit emot din begäran om {what}.", "We have received your request for {what}."
    ),
    "received_how": _w(
        "Den kom in till oss {channel} den {date}.", "It reached us {channel} on {date}."
    ),
    "quote_reference": _w(
        "Ange vår referens {reference} när du kontaktar oss om ärendet.",
        "Please quote our reference {reference} when you contact us about it.",
    ),
    "h_next": _w("Vad händer nu", "What happens next"),
    "answer_due": _w(
        "Vi besvarar din begäran utan onödigt dröjsmål och senast den {date} "
        "(artikel 12.3 i dataskyddsförordningen).",
        "We will answer without undue delay and by {date} at the latest "
        "(Article 12(3) of the General Data Protection Regulation, GDPR).",
    ),
    "verification_first": _w(
        "Innan vi kan behandla din begäran behöver vi bekräfta att det är du som har "
        "skickat den, så att ingen annan får del av dina uppgifter (artikel 12.6 i "
        "dataskyddsförordningen). Vi hör av oss om hur det går till.",
        "Before we can act on your request, we need to confirm that it was you who sent "
        "it, so that no one else gets hold of your data (Article 12(6) GDPR). We will tell "
        "you how.",
    ),
    "verification_clock": _w(
        "Tidsfristen på en månad för vårt svar räknas från den dag vi har kunnat bekräfta "
        "vem du är.",
        "Our one-month time limit for answering counts from the day we have been able to "
        "confirm who you are.",
    ),
    "information_pending": _w(
        "Vi har bett dig om kompletterande uppgifter. Tidsfristen för vårt svar, "
        "i dag den {date}, förlängs med de dagar vi väntar på ditt svar.",
        "We have asked you for further information. Our time limit for answering, today "
        "{date}, moves by the days we wait for your reply.",
    ),
    "extension_possible": _w(
        "Om din begäran är särskilt omfattande eller vi har fått många begäranden kan vi "
        "förlänga tiden med högst två månader. I så fall meddelar vi dig det, och varför, "
        "inom en månad.",
        "If your request is complex or we have received many requests, we may extend the "
        "time by up to two further months. If so, we will tell you, and why, within one "
        "month.",
    ),
    # Identification: awaiting verification, or information asked of the person.
    "thanks_for": _w(
        "Tack för din begäran om {what}, som vi tog emot den {date}.",
        "Thank you for your request for {what}, which we received on {date}.",
    ),
    "h_why_identity": _w("Varför vi frågar", "Why we ask"),
    "identity_why": _w(
        "Vi lämnar bara ut eller ändrar personuppgifter när vi är säkra på att det är den "
        "som uppgifterna gäller som frågar. Därför behöver vi bekräfta vem du är innan vi "
        "behandlar din begäran (artikel 12.6 i dataskyddsförordningen).",
        "We only disclose or change personal data when we are sure that it is the person "
        "the data is about who asks. That is why we need to confirm who you are before we "
        "act on your request (Article 12(6) GDPR).",
    ),
    "h_how_identity": _w("Hur du visar vem du är", "How you can show who you are"),
    "identity_how": _w(
        "Vi ber bara om det som behövs. Oftast räcker det att du svarar från den "
        "e-postadress eller det telefonnummer vi redan har, att du loggar in på ditt konto "
        "hos oss eller att du legitimerar dig med e-legitimation.",
        "We ask only for what is needed. Usually it is enough that you reply from the "
        "email address or phone number we already have, sign in to your account with us, "
        "or identify yourself with an electronic ID.",
    ),
    "identity_document": _w(
        "Skicka inte en kopia av en id-handling om vi inte uttryckligen ber om det. Om du "
        "visar en id-handling sparar vi ingen kopia av den.",
        "Please do not send a copy of an identity document unless we ask for one. If you "
        "show us an identity document, we do not keep a copy of it.",
    ),
    "h_time_limit": _w("Tidsfristen", "The time limit"),
    "identity_clock": _w(
        "Tidsfristen på en månad för vårt svar står still tills du har svarat, och räknas "
        "från den dag vi har kunnat bekräfta vem du är.",
        "Our one-month time limit for answering is paused until you reply, and counts from "
        "the day we have been able to confirm who you are.",
    ),
    "identity_fails": _w(
        "Om vi inte kan bekräfta vem du är meddelar vi dig det och förklarar varför "
        "(artikel 12.2).",
        "If we cannot confirm who you are, we will tell you so and why (Article 12(2)).",
    ),
    "h_information_asked": _w("Det vi behöver veta", "What we need to know"),
    "information_intro": _w(
        "För att kunna besvara din begäran behöver vi följande från dig (frågan ställdes "
        "den {date}):",
        "To answer your request, we need the following from you (asked on {date}):",
    ),
    "information_why": _w(
        "Vi frågar bara om det som behövs för att kunna besvara din begäran "
        "(skäl 63 och artikel 12.6 i dataskyddsförordningen).",
        "We ask only for what is needed to answer your request (Recital 63 and Article "
        "12(6) GDPR).",
    ),
    "information_clock": _w(
        "Tidsfristen för vårt svar står still tills vi har fått ditt svar. Den förlängs "
        "med de dagar vi väntar och är i dag den {date}.",
        "Our time limit for answering is paused until we have your reply. It moves by the "
        "days we wait, and is today {date}.",
    ),
    # Extension.
    "extension_rule": _w(
        "Enligt dataskyddsförordningen ska vi svara inom en månad. Tiden får förlängas med "
        "högst två månader om det behövs med hänsyn till hur komplicerad begäran är och "
        "hur många begäranden vi har fått (artikel 12.3).",
        "Under the GDPR we must answer within one month. That time may be extended by up "
        "to two further months where necessary, taking into account the complexity and "
        "number of the requests (Article 12(3)).",
    ),
    "extension_by": _w(
        "Vi förlänger tiden med {months}.", "We are extending the time by {months}."
    ),
    "h_extension_reasons": _w("Varför vi behöver längre tid", "Why we need more time"),
    "extension_new_due": _w(
        "Vi besvarar din begäran senast den {date}.",
        "We will answer your request by {date} at the latest.",
    ),
    # Answer.
    "answer_intro": _w(
        "Här är vårt svar på din begäran om {what}, som vi tog emot den {date}.",
        "Here is our answer to your request for {what}, which we received on {date}.",
    ),
    "no_data": _w(
        "Vi har sökt i vårt register med de uppgifter du lämnade. Vi har inga "
        "personuppgifter om dig.",
        "We have searched our records with the details you gave us. We hold no personal "
        "data about you.",
    ),
    "h_reports": _w("Ditt registerutdrag", "Your access report"),
    "report_intro": _w(
        "Här följer ett registerutdrag med alla personuppgifter vi har om dig och "
        "information om hur vi behandlar dem (artikel 15 i dataskyddsförordningen).",
        "Below is an access report with all personal data we hold about you and how we "
        "process it (Article 15 GDPR).",
    ),
    "report_duplicates": _w(
        "Du finns på {count} ställen i vårt register. Vi redovisar vart och ett för sig.",
        "You appear {count} times in our records. We show each one separately.",
    ),
    "report_heading": _w("Registerutdrag {number} av {count}", "Access report {number} of {count}"),
    "summary_intro": _w(
        "En sammanfattning av de personuppgifter vi har om dig följer. Uppgifterna finns "
        "i bilagorna.",
        "A summary of the personal data we hold about you follows. The data is in the attachments.",
    ),
    "summary_subject": _w("I registret under id {id}:", "In our records under id {id}:"),
    "summary_category": _w("{category}: {count}", "{category}: {count}"),
    "records_one": _w("1 post", "1 record"),
    "records_many": _w("{count} poster", "{count} records"),
    "summary_none": _w("inga poster", "no records"),
    "h_attachments": _w("Bilagor", "Attachments"),
    "attachments_caption": _w("Filer som bifogas detta svar", "Files attached to this answer"),
    "attachment_file": _w("Fil", "File"),
    "attachment_content": _w("Innehåll", "Contents"),
    "attachment_export": _w(
        "Dina personuppgifter i maskinläsbar form (JSON), i registret under id {id}",
        "Your personal data in a machine-readable format (JSON), in our records under id {id}",
    ),
    "h_partial": _w("Det vi inte har gjort, och varför", "What we have not done, and why"),
    "partial_intro": _w(
        "Vi har inte kunnat tillmötesgå hela din begäran. Skälen är:",
        "We have not been able to act on all of your request. The reasons are:",
    ),
    # Refusal.
    "refusal_intro": _w(
        "Vi har prövat din begäran om {what}, som vi tog emot den {date}, och kommer inte "
        "att tillmötesgå den.",
        "We have considered your request for {what}, which we received on {date}, and will "
        "not act on it.",
    ),
    "h_refusal_reasons": _w("Varför", "Why"),
    "grounds_burden": _w(
        "Det är vi som ska kunna visa att så är fallet (artikel 12.5).",
        "It is for us to demonstrate that this is so (Article 12(5)).",
    ),
    # Complaint and judicial remedy (Art 12(4), 77, 79).
    "h_remedies": _w("Om du inte är nöjd", "If you are not satisfied"),
    "complaint": _w(
        "Du har rätt att lämna klagomål till tillsynsmyndigheten, {authority}, enligt "
        "artikel 77 i dataskyddsförordningen.",
        "You have the right to lodge a complaint with the supervisory authority, "
        "{authority}, under Article 77 GDPR.",
    ),
    "court": _w(
        "Du har också rätt att väcka talan mot oss i domstol (artikel 79 i "
        "dataskyddsförordningen).",
        "You also have the right to take legal action against us in court (Article 79 GDPR).",
    ),
    # Signature.
    "regards": _w("Med vänlig hälsning", "Kind regards"),
    "organisation_number": _w("Organisationsnummer", "Organisation number"),
}

REQUEST_WHAT: Final[dict[str, Words]] = {
    "access": _w(
        "tillgång till dina personuppgifter (registerutdrag, artikel 15)",
        "access to your personal data (Article 15)",
    ),
    "portability": _w(
        "att få ut dina personuppgifter i maskinläsbar form (dataportabilitet, artikel 20)",
        "your personal data in a machine-readable format (data portability, Article 20)",
    ),
    "rectification": _w(
        "rättelse av dina personuppgifter (artikel 16)",
        "rectification of your personal data (Article 16)",
    ),
    "restriction": _w(
        "begränsning av behandlingen av dina personuppgifter (artikel 18)",
        "restriction of the processing of your personal data (Article 18)",
    ),
    "objection": _w(
        "att vi ska upphöra med att behandla dina personuppgifter (invändning, artikel 21)",
        "us to stop processing your personal data (objection, Article 21)",
    ),
    "erasure": _w(
        "radering av dina personuppgifter (artikel 17)",
        "erasure of your personal data (Article 17)",
    ),
}

REQUEST_TYPE: Final[dict[str, Words]] = {
    "access": _w("Registerutdrag", "Access to personal data"),
    "portability": _w("Dataportabilitet", "Data portability"),
    "rectification": _w("Rättelse", "Rectification"),
    "restriction": _w("Begränsning av behandling", "Restriction of processing"),
    "objection": _w("Invändning", "Objection"),
    "erasure": _w("Radering", "Erasure"),
}

CHANNEL: Final[dict[str, Words]] = {
    "email": _w("via e-post", "by email"),
    "letter": _w("per brev", "by letter"),
    "phone": _w("per telefon", "by phone"),
    "web": _w("via vår webbplats", "through our website"),
    "in_person": _w("vid ett besök hos oss", "in person"),
    "api": _w("genom våra system", "through our systems"),
}

# A fulfilled request that releases no data: what was done. Access and portability
# answer with the data itself.
DONE: Final[dict[str, Words]] = {
    "rectification": _w(
        "Vi har rättat dina personuppgifter så som du begärde (artikel 16).",
        "We have rectified your personal data as you asked (Article 16).",
    ),
    "erasure": _w(
        "Vi har raderat dina personuppgifter (artikel 17).",
        "We have erased your personal data (Article 17).",
    ),
    "restriction": _w(
        "Vi har begränsat behandlingen av dina personuppgifter (artikel 18). Vi sparar "
        "uppgifterna men använder dem bara så som lagen då tillåter, och vi meddelar dig "
        "innan begränsningen upphör (artikel 18.3).",
        "We have restricted the processing of your personal data (Article 18). We keep the "
        "data but use it only as the law then allows, and we will tell you before the "
        "restriction is lifted (Article 18(3)).",
    ),
    "objection": _w(
        "Vi har upphört med den behandling av dina personuppgifter som du invände mot "
        "(artikel 21).",
        "We have stopped the processing of your personal data that you objected to (Article 21).",
    ),
    "portability": _w(
        "De personuppgifter du har lämnat till oss, och de som har registrerats om dig, "
        "bifogas som JSON, ett strukturerat, allmänt använt och maskinläsbart format "
        "(artikel 20).",
        "The personal data you provided to us, and the data recorded about you, is "
        "attached as JSON, a structured, commonly used and machine-readable format "
        "(Article 20).",
    ),
    # Art 19: recipients are told of a rectification, erasure or restriction.
    "recipients_told": _w(
        "Vi har också meddelat dem som har fått dina uppgifter från oss. Du har rätt att "
        "få veta vilka de är (artikel 19).",
        "We have also told those we disclosed your data to. You have the right to know who "
        "they are (Article 19).",
    ),
}

GROUNDS: Final[dict[str, Words]] = {
    "manifestly_unfounded": _w(
        "Vi bedömer att din begäran är uppenbart ogrundad (artikel 12.5 b i "
        "dataskyddsförordningen).",
        "We consider your request manifestly unfounded (Article 12(5)(b) GDPR).",
    ),
    "excessive": _w(
        "Vi bedömer att din begäran är orimlig, särskilt på grund av att den upprepas "
        "(artikel 12.5 b i dataskyddsförordningen).",
        "We consider your request excessive, in particular because of its repetitive "
        "character (Article 12(5)(b) GDPR).",
    ),
}

MONTHS_COUNT: Final[dict[int, Words]] = {
    1: _w("en månad", "one month"),
    2: _w("två månader", "two months"),
}
