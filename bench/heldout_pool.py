# Held-out phrasings: do not read while writing boilerplate rules.
#
# This is pool B of part B of bench/extraction.py. Its leak figure is only an
# honest measure of config/boilerplate.toml as long as the rules are not
# written against these lines: read the figures the benchmark prints, not
# this file. (The benchmark prints no pool B phrasing unless --show-leaks.)
#
# Written independently of pool A and of the rules file, from how news sites
# word these lines. Same shape as pool A: class -> language -> entries; one
# entry is the inline content of one inserted paragraph, entries holding "<"
# are HTML. Languages: "en" and "de" for every class, plus a few "fr", "es"
# and "it" lines used on pages in those languages (other pages get "en").

"""Pool B (held-out) of bench/extraction.py's boilerplate injection."""

from __future__ import annotations

POOL_B: dict[str, dict[str, list[str]]] = {
    "donation": {
        "en": [
            "Before you go... ProPublica is a nonprofit newsroom that relies on readers like you. "
            "Donate today and your gift will be matched, dollar for dollar, up to $25,000.",
            "Chip in $5 to keep local journalism alive in Tulsa.",
            "HELP US REACH OUR GOAL: 1,842 of 2,500 new members this month",
            'Independent reporting isn\'t free. <a href="/donate">Make a tax-deductible gift</a> '
            "to The Texas Tribune today.",
            "Your contribution, however big or small, powers our work. Give monthly",
            "Enjoyed this story? Buy us a coffee ☕",
            "We rely on donors, not advertisers. If you value what we do, please consider chipping in "
            "— even €3 a month makes a difference.",
            "This article was made possible by readers who gave to our spring member drive.",
            'Support Mother Jones\' investigative journalism: <a href="https://secure.motherjones.com/give">'
            "Donate now</a>",
            "Grist is a nonprofit, and we count on reader donations. Will you give $10?",
            "Please give what you can — every dollar doubled until midnight Dec. 31.",
            "CalMatters is a nonprofit. Our stories are free to read and republish because readers "
            "like you pitch in.",
            "Readers like you make our work possible. Become a sustaining donor for $8/month.",
            "Keep Vox free for everyone: will you support our explanatory journalism with a gift today?",
        ],
        "de": [
            "Unabhängiger Journalismus kostet Geld. Unterstützen Sie uns mit einem freiwilligen "
            "Beitrag – schon ab 5 Euro.",
            'Jetzt spenden: <a href="https://correctiv.org/spenden/">CORRECTIV unterstützen</a>',
            "Die taz ist frei zugänglich, weil viele Leserinnen und Leser freiwillig zahlen. "
            "Machen Sie mit: taz zahl ich.",
            "Gefällt Ihnen dieser Artikel? Dann unterstützen Sie unsere Arbeit per PayPal oder Überweisung.",
            "Wir finanzieren uns fast ausschließlich über Spenden. Jeder Betrag hilft!",
            "Ihre Spende ist steuerlich absetzbar. IBAN: DE12 3456 7890 1234 5678 90",
            "Werden Sie Fördermitglied – ab 3 € im Monat.",
            "netzpolitik.org lebt von Ihrer Unterstützung. Jetzt spenden!",
        ],
        "fr": [
            "Soutenez un journalisme indépendant : faites un don à Mediapart dès 5 €.",
            'Ce média vit grâce à ses lecteurs. <a href="/don">Je fais un don</a>',
        ],
        "es": [
            "Apoya el periodismo independiente. Haz una donación desde 3 € al mes.",
            "Este periódico se financia gracias a sus lectores. Colabora con una aportación.",
        ],
        "it": [
            "Sostieni il giornalismo indipendente: dona ora, anche 2 euro fanno la differenza.",
            "Aiutaci a restare liberi: fai una donazione.",
        ],
    },
    "subscription": {
        "en": [
            "Sign up for The Morning newsletter from The New York Times",
            'Get the best of Reuters delivered to your inbox every weekday. '
            '<a href="/newsletters">Sign up here.</a>',
            "This article is for subscribers only. Subscribe now for $1 a week for the first 12 weeks.",
            "You have 2 free articles remaining this month.",
            'Got a subscription through your employer or school? <a href="/activate">Activate it here</a>',
            "Unlock unlimited access: digital subscription €9.99/month, cancel anytime.",
            "Want more stories like this? Join 250,000+ readers who get our free daily briefing.",
            "Enter your email to get Axios AM in your inbox",
            "By signing up, you agree to our Privacy Policy and Terms of Use. You may unsubscribe at any time.",
            "BECOME A MEMBER — Members get ad-free reading, exclusive events and the weekly print edition.",
            "Continue reading with a Times+ subscription. Start your 30-day free trial.",
            "This story is available exclusively to Business Insider subscribers. "
            "Become an Insider and start reading now.",
            "Newsletter: our top headlines in your inbox each morning. It's free!",
            "Limited offer: 3 months for 99p, then £6.99 a month.",
        ],
        "de": [
            "Jetzt weiterlesen mit SZ Plus: 1 Monat kostenlos testen, danach 14,99 € pro Monat.",
            'Dieser Artikel ist exklusiv für Abonnenten. Sie haben bereits ein Abo? '
            '<a href="/login">Hier anmelden</a>',
            "Newsletter abonnieren: Die wichtigsten Nachrichten des Tages jeden Morgen in Ihrem Postfach.",
            "Mit Z+ weiterlesen – 4 Wochen für 1 €",
            "Ihre Vorteile mit F+: Zugang zu allen Artikeln auf FAZ.NET, jederzeit kündbar.",
            "Melden Sie sich für unseren kostenlosen Newsletter an und verpassen Sie keine Nachricht mehr!",
            "SPIEGEL+ lesen – ab 4,99 € pro Woche",
            "Sie haben das Limit an kostenlosen Artikeln für diesen Monat erreicht.",
        ],
        "fr": [
            "Cet article est réservé aux abonnés. Abonnez-vous à partir de 1 € le premier mois.",
            "Inscrivez-vous à notre newsletter quotidienne",
        ],
        "es": [
            "Suscríbete para seguir leyendo. Primer mes por 1 €.",
            "Recibe nuestra newsletter cada mañana en tu correo",
        ],
        "it": [
            "Questo articolo è riservato agli abbonati. Abbonati a 1 € al mese per 3 mesi.",
            "Iscriviti alla nostra newsletter",
        ],
    },
    "comment": {
        "en": [
            "Commenting on this article has ended.",
            'Join the conversation: <a href="#comments">47 comments</a>',
            "Please enable JavaScript to view the comments powered by Disqus.",
            "We welcome comments that advance the story. Please keep it civil and on topic; "
            "read our community guidelines before posting.",
            "Leave your thoughts below — first-time commenters need approval before their posts go live.",
            "Verify you are human by completing the action below.",
            "Please tick the box to confirm you're not a robot.",
            "View all 112 reader responses",
            "What do you think? Tell us in the comments section below.",
            "You must be logged in to post a comment.",
            "This site is protected by reCAPTCHA and the Google Privacy Policy and Terms of Service apply.",
            "Have your say: do you agree with the council's decision? Let us know below.",
            "Post a comment. Log in or register to join the discussion.",
            "Comments are moderated and may take up to 24 hours to appear.",
        ],
        "de": [
            "Die Kommentarfunktion für diesen Artikel wurde geschlossen.",
            'Diskutieren Sie mit: <a href="#kommentare">23 Kommentare</a>',
            "Bitte bestätigen Sie, dass Sie kein Roboter sind.",
            "Was meinen Sie? Schreiben Sie uns Ihre Meinung in die Kommentare.",
            "Zum Kommentieren müssen Sie angemeldet sein. Jetzt registrieren",
            "Kommentare werden vor der Veröffentlichung von der Redaktion geprüft. "
            "Bitte beachten Sie unsere Netiquette.",
            "Leserkommentare anzeigen (58)",
        ],
        "fr": [
            "Les commentaires sont fermés pour cet article.",
            "Réagissez à cet article",
        ],
        "es": [
            "Los comentarios están cerrados.",
            "Deja tu comentario",
        ],
        "it": [
            "I commenti sono chiusi.",
            "Commenta la notizia",
        ],
    },
    "share": {
        "en": [
            "Share this article: Facebook Twitter LinkedIn Email",
            'Follow us on <a href="https://twitter.com/AP">Twitter</a> and '
            '<a href="https://facebook.com/APNews">Facebook</a> for the latest updates.',
            "Share on WhatsApp",
            "Click to share on Reddit (Opens in new window)",
            "Follow BBC Sport on Instagram, Snapchat and TikTok.",
            "Send this story to someone: copy the URL or use the buttons below.",
            "Like what you read? Share it with a friend!",
            "FOLLOW @NBCNEWS ON X",
            "Tweet Share Pin Email",
            "Stay connected: follow The Hill on Threads, Bluesky and Mastodon.",
            "Gift this article — you have 10 gift articles to give each month.",
            "Found this useful? Pin it, post it, share it.",
            "Follow Sarah Jones on LinkedIn.",
        ],
        "de": [
            "Artikel teilen: Facebook, X, WhatsApp, E-Mail",
            'Mehr von uns: <a href="https://instagram.com/mdraktuell">@mdraktuell</a> bei Instagram',
            "Diesen Artikel per WhatsApp teilen",
            "Sie finden uns auch auf Facebook und Threads – jetzt folgen!",
            "Mehr aktuelle Nachrichten gibt's in unserem WhatsApp-Kanal.",
            "Teilen Drucken Merken",
        ],
        "fr": [
            "Partager sur Facebook",
            "Suivez-nous sur X et Instagram",
        ],
        "es": [
            "Compartir en WhatsApp",
            "Síguenos en Facebook y X",
        ],
        "it": [
            "Condividi su Facebook",
            "Seguici su Instagram e Telegram",
        ],
    },
    "category": {
        "en": [
            "Topics: Climate change, Energy, Europe",
            'Tags: <a href="/tag/elections">elections</a>, <a href="/tag/senate">Senate</a>, '
            '<a href="/tag/arizona">Arizona</a>',
            "Filed under: Politics · Supreme Court · Abortion",
            "Posted in World News | Tagged Ukraine, Russia, NATO",
            "More on: Premier League, Arsenal, Football",
            "Categories: Business / Markets / Commodities",
            "Dig deeper into: Housing · Mortgages · Interest rates",
            "Keywords: inflation; interest rates; Federal Reserve",
            "SECTIONS: LOCAL NEWS, CRIME & COURTS",
            "Related topics: Artificial intelligence · Technology · OpenAI",
            "This article is part of our series: The Housing Crisis",
            "Published in Health & Science",
            "More about: Taylor Swift | Music | Celebrity",
            "Browse: Home » News » Education",
        ],
        "de": [
            "Themen: Bundestag, Haushalt, Schuldenbremse",
            'Schlagwörter: <a href="/thema/bahn">Deutsche Bahn</a>, <a href="/thema/streik">Streik</a>, GDL',
            "Mehr zu: Ukraine-Krieg · Russland · NATO",
            "Rubrik: Wirtschaft > Unternehmen",
            "Kategorien: Lokales, Polizei, Blaulicht",
            "Weitere Themen: Klimawandel | Energie | Heizungsgesetz",
            "Startseite › Politik › Ausland",
        ],
        "fr": [
            "Sujets associés : Politique, Assemblée nationale, Retraites",
            "Mots-clés : climat, énergie, COP28",
        ],
        "es": [
            "Temas: Elecciones generales, PP, PSOE",
            "Etiquetas: Madrid, vivienda, alquiler",
        ],
        "it": [
            "Argomenti: Governo, Meloni, Manovra",
            "Tag: calcio, Serie A, Juventus",
        ],
    },
    "see-also": {
        "en": [
            'Read more: <a href="/news/uk-politics-12345">Sunak sets out plan for general election</a>',
            "SEE ALSO: The 10 best budget smartphones of 2024",
            "Related: How the Fed's rate cut could affect your mortgage",
            "More from CNN",
            "Recommended stories",
            "You might also like: Why are egg prices so high?",
            "Read next → Inside the race to build the first fusion plant",
            "[Read: The case against the four-day week]",
            "MORE STORIES: Police name victim of A34 crash | Council approves new bus lanes",
            "Don't miss: our full coverage of the 2024 Olympics",
            "Trending now",
            'ICYMI: <a href="/2024/09/11/debate-takeaways">Five takeaways from Tuesday\'s debate</a>',
            "Go deeper: Map shows where the heat wave will hit hardest",
            "Click here for the latest headlines",
        ],
        "de": [
            'Lesen Sie auch: <a href="/politik/scholz-regierungserklaerung">Scholz verteidigt Kurs '
            "in Regierungserklärung</a>",
            "Auch interessant: Diese fünf Lebensmittel sollten Sie nicht einfrieren",
            "Das könnte Sie auch interessieren",
            "Zum Weiterlesen: Was das neue Gesetz für Mieter bedeutet",
            "Verwandte Artikel",
            "Top-Artikel der Woche",
        ],
        "fr": [
            "À lire aussi : Le gouvernement présente son budget 2025",
            "Lire la suite",
        ],
        "es": [
            "Lee también: El Gobierno aprueba la reforma de las pensiones",
            "Más noticias",
        ],
        "it": [
            "Leggi anche: Il governo approva la manovra",
            "Potrebbe interessarti anche",
        ],
    },
    "cookie": {
        "en": [
            "We use cookies to give you the best online experience. By continuing to use this site you "
            'agree to our use of cookies. <a href="/cookie-policy">Find out more</a>',
            "Accept all cookies",
            "This content is provided by YouTube, which may be using cookies and other technologies. "
            "To show you this content, we need your permission to use cookies.",
            "Manage consent preferences",
            "We and our 842 partners store and/or access information on a device, such as cookies, "
            "and process personal data.",
            "Opt out of personalised advertising at any time via “Privacy settings” in the footer.",
            "Please accept marketing cookies to watch this video.",
            "This site uses cookies. Some are essential, others help us improve your experience. "
            "Reject non-essential | Accept",
            "We care about your data, and we'd love to use cookies to make your experience better.",
            "Allow Twitter content? This article contains content provided by Twitter. "
            "We ask for your permission before anything is loaded.",
            "Do Not Sell or Share My Personal Information",
            "To view this embed you'll need to enable functional cookies in your privacy settings.",
            'By clicking "Accept", you consent to the storing of cookies on your device to enhance '
            "site navigation and analyse site usage.",
        ],
        "de": [
            'Wir verwenden Cookies, um Ihnen ein optimales Nutzererlebnis zu bieten. '
            '<a href="/datenschutz">Mehr erfahren</a>',
            "Externer Inhalt: An dieser Stelle finden Sie einen Inhalt von YouTube. Mit Ihrer Zustimmung "
            "wird dieser geladen und es können personenbezogene Daten übermittelt werden.",
            "Zustimmung verwalten",
            "Ich bin damit einverstanden, dass mir externe Inhalte angezeigt werden.",
            "Datenschutzeinstellungen",
            "Um diesen Inhalt zu sehen, müssen Sie Cookies von Drittanbietern zulassen.",
            "Wir und unsere Partner speichern und/oder greifen auf Informationen auf einem Gerät zu.",
        ],
        "fr": [
            "Nous utilisons des cookies pour améliorer votre expérience. Accepter et fermer",
            "Paramétrer les cookies",
        ],
        "es": [
            "Utilizamos cookies propias y de terceros. Aceptar todas",
            "Configuración de cookies",
        ],
        "it": [
            "Questo sito utilizza cookie tecnici e di profilazione. Accetta tutti",
            "Gestisci le preferenze sui cookie",
        ],
    },
    "copyright": {
        "en": [
            "© 2024 The Associated Press. All rights reserved. This material may not be published, "
            "broadcast, rewritten or redistributed.",
            "Copyright © 2023 Gannett Co., Inc.",
            "All content © Times Media Group 2019–2024, unless otherwise noted.",
            "This article is republished from The Conversation under a Creative Commons license. "
            "Read the original article.",
            "(c) Copyright Thomson Reuters 2024",
            "Privacy Policy | Terms of Service | Contact Us | Advertise",
            "Our Standards: The Thomson Reuters Trust Principles.",
            "© Daily Mail and General Trust plc 2024. Part of the dmg media group.",
            "Licensed under CC BY-NC-ND 4.0",
            "Reproduction in whole or in part without written permission is prohibited.",
            "About Us · Careers · Accessibility · Sitemap · Corrections",
            "Registered in England and Wales. No. 908396. Registered office: Kings Place, 90 York Way, "
            "London N1 9GU.",
            "Copying, redistributing or selling this content is forbidden without a licence from "
            "Newsquest Media Group Ltd.",
            'Republish our articles for free, online or in print, under a <a href="/republish">'
            "Creative Commons license</a>.",
        ],
        "de": [
            "© dpa-infocom, dpa:240312-99-304015/3",
            "Copyright © 2024 Frankfurter Allgemeine Zeitung GmbH. Alle Rechte vorbehalten.",
            "Impressum | Datenschutz | AGB | Kontakt",
            "Vervielfältigung nur mit Genehmigung der Redaktion.",
            "Alle Rechte vorbehalten. © Süddeutsche Zeitung GmbH, München",
            "Dieser Text steht unter der Lizenz CC BY 4.0.",
            "© 2023 Axel Springer Deutschland GmbH",
        ],
        "fr": [
            "© Le Monde 2024. Tous droits réservés.",
            "Mentions légales · Politique de confidentialité",
        ],
        "es": [
            "© EDICIONES EL PAÍS S.L. Todos los derechos reservados.",
            "Aviso legal | Política de privacidad",
        ],
        "it": [
            "© Riproduzione riservata",
            "Copyright © 2024 GEDI News Network S.p.A. P.IVA 00906801006",
        ],
    },
    "byline": {
        "en": [
            "By Emily Chen and Raj Patel, Associated Press",
            "Reporting by David Shepardson in Washington; Editing by Chizu Nomiyama",
            "Photo: Getty Images",
            "(Image credit: NASA/JPL-Caltech)",
            "Jane Smith is a senior reporter covering health policy. Contact her at jsmith@statnews.com.",
            "Published 3:42 PM EDT, Tue March 12, 2024",
            "Updated: 12 June 2023 14:07 BST",
            "Additional reporting by Maria Sanchez.",
            "Written by Tom Harris | Edited by Lucy Brown",
            "Photograph: Yui Mok/PA",
            "BY ALEXANDRA PORTER | STAFF WRITER",
            "Associated Press writer Kim Tong-hyung in Seoul contributed to this report.",
            "— With files from The Canadian Press",
            "5 min read",
            "Illustration by Hannah Lee for Vox",
            "About the author: Michael Torres covers transportation for the Chronicle.",
        ],
        "de": [
            "Von Anna Müller und Thomas Becker",
            "Foto: picture alliance/dpa | Kay Nietfeld",
            "Aktualisiert am 14.03.2024, 16:45 Uhr",
            "Bildquelle: IMAGO/Political-Moments",
            "Ein Artikel von Jörg Schmitt, Redakteur im Ressort Politik.",
            "Mitarbeit: Lena Vogt und Kai Brenner (Agenturen)",
            "Lesezeit: 4 Min.",
        ],
        "fr": [
            "Par Claire Dubois, publié le 12 mars 2024 à 18h05",
            "Photo : AFP",
        ],
        "es": [
            "Por María García | Madrid, 12 mar 2024 - 10:32 CET",
            "Foto: EFE",
        ],
        "it": [
            "Di Marco Rossi, aggiornato il 12 marzo 2024 alle 18:05",
            "Foto: Ansa",
        ],
    },
}
