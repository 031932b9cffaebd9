import type { ConsultationEventType } from '../../protocol/index.ts';
import type { PrivacyFacts } from './privacy-facts.ts';

export type PrivacyLanguage = 'en' | 'nb';

export interface PrivacySection {
  heading: string;
  paragraphs: string[];
  items: string[];
}

export interface PrivacyText {
  title: string;
  intro: string;
  sections: PrivacySection[];
  /** The link to the other language. */
  otherLanguage: { lang: PrivacyLanguage; label: string };
}

/** Stands for the organization's contact (a link) inside a text; the page puts the link in its place. */
export const CONTACT = '{contact}';

const list = (parts: string[], and: string): string =>
  parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} ${and} ${parts.at(-1)}`;

/**
 * What a webhook endpoint subscribed to an event hears, in the visitor's words: "told when <when>", and
 * <also> for the events that carry a figure about the visit. Every event type has its words (the type
 * makes a new event a compile error here), so the page names exactly what the endpoints hear.
 */
const WEBHOOK_EVENTS: Record<PrivacyLanguage, Record<ConsultationEventType, { when: string; also?: string }>> = {
  en: {
    'consultation.created': { when: 'your consultation is booked' },
    'consultation.cancelled': { when: 'your consultation is cancelled' },
    'visitor.arrived': { when: 'you arrive' },
    'visitor.left': { when: 'you leave' },
    'visitor.admitted': { when: 'you are let in' },
    'visitor.denied': { when: 'you are turned away' },
    'visitor.transferred': { when: 'you are moved to another room' },
    'call.started': { when: 'the call starts' },
    'call.ended': { when: 'the call ends', also: 'how long the call lasted' },
    'payment.captured': { when: 'your card is charged', also: 'the amount' },
  },
  nb: {
    'consultation.created': { when: 'konsultasjonen din blir bestilt' },
    'consultation.cancelled': { when: 'konsultasjonen din blir avlyst' },
    'visitor.arrived': { when: 'du kommer' },
    'visitor.left': { when: 'du går' },
    'visitor.admitted': { when: 'du slippes inn' },
    'visitor.denied': { when: 'du blir avvist' },
    'visitor.transferred': { when: 'du flyttes til et annet rom' },
    'call.started': { when: 'samtalen starter' },
    'call.ended': { when: 'samtalen slutter', also: 'hvor lenge samtalen varte' },
    'payment.captured': { when: 'kortet ditt belastes', also: 'beløpet' },
  },
};

const heard = (lang: PrivacyLanguage, events: ConsultationEventType[], or: string, and: string): string => {
  const words = events.map((e) => WEBHOOK_EVENTS[lang][e]);
  const also = words.flatMap((w) => (w.also ? [w.also] : []));
  return `${list(words.map((w) => w.when), or)}${also.length ? `, ${and} ${list(also, and)}` : ''}`;
};

/**
 * Who else processes data, and where. Said once here so a change of provider or of the terms is one edit.
 * (Locations as the providers state them for European customers.)
 */
const PROCESSORS = {
  en: {
    stripe:
      'Stripe (card payment): receives your card details directly from your browser on the payment step, and the amount. Stripe Payments Europe, Ltd., Ireland; Stripe may transfer data to the USA under the EU standard contractual clauses.',
    twilio: (sms: PrivacyFacts['sms'], org: string) =>
      `Twilio (SMS): ${[
        sms.visitorInvitations && `sends you your invitation by text message when ${org}’s record system asks us to; it gets your phone number, the time of your appointment and your link`,
        sms.staffAlerts && `sends staff a text message when someone is waiting; it gets the staff member’s phone number and a link${sms.visitorInvitations ? '' : ', nothing about you'}`,
      ]
        .filter(Boolean)
        .join('; it also ')}. Twilio Inc., USA, under the EU standard contractual clauses; we delete its copies when the retention period has passed.`,
    ehrApi: (org: string) =>
      `${org}’s record system (EHR), through our API: may fill in your name and phone number in advance, and reads when you arrived, were let in and how long the call lasted, under its own reference.`,
    webhooks: ({ hosts, events }: PrivacyFacts['ehr']['webhooks'][number], org: string) =>
      `${org}’s systems at ${list(hosts, 'and')} (notifications): told when ${heard('en', events, 'or', 'and')}, under ${org}’s own reference; never your name, answers or messages.`,
    hosting: (provider: string) => `${provider} (hosting): runs the machines this service stores and processes all of the above on.`,
    bankId: (host: string, org: string) =>
      `The BankID broker at ${host} (identification): relays your BankID login and tells us the result. BankID itself is run in Norway; the broker processes the login where its agreement with ${org} says.`,
  },
  nb: {
    stripe:
      'Stripe (kortbetaling): får kortopplysningene dine direkte fra nettleseren din i betalingssteget, og beløpet. Stripe Payments Europe, Ltd., Irland; Stripe kan overføre data til USA etter EUs standard personvernbestemmelser.',
    twilio: (sms: PrivacyFacts['sms'], org: string) =>
      `Twilio (SMS): ${[
        sms.visitorInvitations && `sender deg invitasjonen som tekstmelding når journalsystemet til ${org} ber oss om det; Twilio får telefonnummeret ditt, tidspunktet for timen og lenken din`,
        sms.staffAlerts && `sender ansatte en tekstmelding når noen venter; Twilio får den ansattes telefonnummer og en lenke${sms.visitorInvitations ? '' : ', ingenting om deg'}`,
      ]
        .filter(Boolean)
        .join('; Twilio ')}. Twilio Inc., USA, etter EUs standard personvernbestemmelser; vi sletter kopiene der når lagringstiden er ute.`,
    ehrApi: (org: string) =>
      `Journalsystemet til ${org}, gjennom API-et vårt: kan fylle inn navnet og telefonnummeret ditt på forhånd, og leser når du kom, ble sluppet inn og hvor lenge samtalen varte, under sin egen referanse.`,
    webhooks: ({ hosts, events }: PrivacyFacts['ehr']['webhooks'][number], org: string) =>
      `Systemene til ${org} på ${list(hosts, 'og')} (varsler): får vite når ${heard('nb', events, 'eller', 'og')}, under referansen til ${org}; aldri navnet ditt, svarene dine eller meldinger.`,
    hosting: (provider: string) => `${provider} (drift): driver maskinene tjenesten lagrer og behandler alt det ovenfor på.`,
    bankId: (host: string, org: string) =>
      `BankID-formidleren på ${host} (identifisering): formidler BankID-innloggingen din og gir oss resultatet. Selve BankID drives i Norge; formidleren behandler innloggingen der avtalen med ${org} sier.`,
  },
};


export function privacyText(lang: PrivacyLanguage, f: PrivacyFacts): PrivacyText {
  return lang === 'nb' ? norwegian(f) : english(f);
}

function english(f: PrivacyFacts): PrivacyText {
  const org = f.organizationName;
  const answers = list(
    [
      f.form.name && 'your name',
      f.form.accessCode && 'the access code you were given (instead of a name)',
      f.form.phone && 'your phone number',
      f.form.birthDate && 'your date of birth',
      f.form.reason && 'the reason for your visit, in your words',
      f.form.custom && `your answers to ${org}’s own questions`,
    ].filter((x): x is string => !!x),
    'and',
  );
  const days = (n: number) => (n === 1 ? '1 day' : `${n} days`);
  const processors = [
    ...(f.bankId ? [PROCESSORS.en.bankId(f.bankId.brokerHost, org)] : []),
    ...(f.payments ? [PROCESSORS.en.stripe] : []),
    ...(f.sms.staffAlerts || f.sms.visitorInvitations ? [PROCESSORS.en.twilio(f.sms, org)] : []),
    ...(f.ehr.api ? [PROCESSORS.en.ehrApi(org)] : []),
    ...f.ehr.webhooks.map((w) => PROCESSORS.en.webhooks(w, org)),
    ...(f.hostingProvider ? [PROCESSORS.en.hosting(f.hostingProvider)] : []),
  ];
  return {
    title: `Privacy at ${org}`,
    intro: `${org} holds video consultations with this service. This page says what is stored about you when you use it, why, for how long, what your browser keeps, who else processes your data, and how to ask for access, correction or erasure. It is made from ${org}’s current settings.`,
    sections: [
      {
        heading: 'What is stored, and why',
        paragraphs: [],
        items: [
          `Your check-in answers${answers ? `: ${answers}` : ''}. So the professional knows who is waiting and can prepare.`,
          ...(f.bankId
            ? [`Your BankID result: your name and date of birth as BankID confirms them${f.bankId.nationalId ? ', and your national identity number (stored encrypted)' : ''}. So ${org} knows it is you before the consultation.`]
            : []),
          'Messages you exchange while you wait: encrypted in your browser for this room’s professionals, and stored by us only in that form. Unlike the call, there is no safety code to check their keys, so this protects the messages from a copy of our database, not from our server itself.',
          'Technical data: what the device check found (camera and microphone present, browser, network quality) and what happens in the call (muting, camera, screen sharing). To help when something does not work.',
          'Call records: when the call was, how long it lasted, and who took part. So the professional can find the consultation in their history.',
          ...(f.payments ? ['Payment records: amount, currency, date and the payment provider’s reference (no name, no phone number). Bookkeeping law requires them. Card details go to Stripe only and are never stored by us.'] : []),
          'Your internet address only as a scrambled code that changes every day, to stop abuse; never in readable form.',
          'Calls are end-to-end encrypted: the service cannot see or hear them, and nothing is recorded.',
        ],
      },
      {
        heading: 'For how long',
        paragraphs: [],
        items: [
          `Check-in answers${f.bankId ? ', BankID results' : ''}, messages, technical data and call records: ${days(f.retentionDays)}, then they are deleted.`,
          ...(f.payments ? [`Payment records: ${f.bookkeepingYears} years after the end of the financial year, as bookkeeping law requires.`] : []),
          `The audit log (which staff member opened or changed what, and when): ${days(f.auditRetentionDays)}. It refers to you only by a random number.`,
          `Application logs: ${f.logRetentionDays === null ? 'as long as the log system of the service’s operator keeps them' : days(f.logRetentionDays)}. They hold no names, phone numbers, identity numbers or message text.`,
        ],
      },
      {
        heading: 'What your browser keeps',
        paragraphs: ['No analytics or advertising cookies.'],
        items: [
          'Your visit’s key (local storage): until the visit ends, so you keep your place if the page reloads.',
          'The camera and microphone you chose, and your language (local storage): until you clear them.',
          '“Remember me” (local storage): your answers to the form, only if you tick it, until you untick it.',
          'The result of the network check (local storage): used for one hour, so you need not run it twice.',
          ...(f.bankId ? [`A BankID cookie: for at most ${f.bankId.cookieMinutes} minutes, to tie your BankID login to this browser.`] : []),
          ...(f.payments ? ['Stripe’s cookies: on the payment step only, set by Stripe to prevent fraud.'] : []),
        ],
      },
      {
        heading: 'Who else processes your data',
        paragraphs: processors.length ? [] : [`${org} uses no other provider for your data through this service.`],
        items: processors,
      },
      {
        heading: 'Your rights',
        paragraphs: [
          `You may ask ${org} for a copy of what is stored about you, to correct it, or to erase it. ${f.privacyContact ? `Contact: ${CONTACT}.` : `Ask ${org} directly; they have not yet given a privacy contact here.`}`,
          'You may also complain to the Norwegian Data Protection Authority (Datatilsynet).',
        ],
        items: [],
      },
    ],
    otherLanguage: { lang: 'nb', label: 'Norsk' },
  };
}

function norwegian(f: PrivacyFacts): PrivacyText {
  const org = f.organizationName;
  const answers = list(
    [
      f.form.name && 'navnet ditt',
      f.form.accessCode && 'tilgangskoden du fikk (i stedet for navn)',
      f.form.phone && 'telefonnummeret ditt',
      f.form.birthDate && 'fødselsdatoen din',
      f.form.reason && 'grunnen til besøket, med dine ord',
      f.form.custom && `svarene dine på spørsmålene til ${org}`,
    ].filter((x): x is string => !!x),
    'og',
  );
  const days = (n: number) => (n === 1 ? '1 dag' : `${n} dager`);
  const processors = [
    ...(f.bankId ? [PROCESSORS.nb.bankId(f.bankId.brokerHost, org)] : []),
    ...(f.payments ? [PROCESSORS.nb.stripe] : []),
    ...(f.sms.staffAlerts || f.sms.visitorInvitations ? [PROCESSORS.nb.twilio(f.sms, org)] : []),
    ...(f.ehr.api ? [PROCESSORS.nb.ehrApi(org)] : []),
    ...f.ehr.webhooks.map((w) => PROCESSORS.nb.webhooks(w, org)),
    ...(f.hostingProvider ? [PROCESSORS.nb.hosting(f.hostingProvider)] : []),
  ];
  return {
    title: `Personvern hos ${org}`,
    intro: `${org} har videokonsultasjoner med denne tjenesten. Denne siden forteller hva som lagres om deg når du bruker den, hvorfor, hvor lenge, hva nettleseren din tar vare på, hvem andre som behandler opplysningene dine, og hvordan du ber om innsyn, retting eller sletting. Den er laget ut fra innstillingene ${org} har nå.`,
    sections: [
      {
        heading: 'Hva som lagres, og hvorfor',
        paragraphs: [],
        items: [
          `Svarene dine ved innsjekking${answers ? `: ${answers}` : ''}. Slik at behandleren vet hvem som venter og kan forberede seg.`,
          ...(f.bankId
            ? [`BankID-resultatet ditt: navn og fødselsdato slik BankID bekrefter dem${f.bankId.nationalId ? ', og fødselsnummeret ditt (lagret kryptert)' : ''}. Slik at ${org} vet at det er deg før konsultasjonen.`]
            : []),
          'Meldinger du utveksler mens du venter: kryptert i nettleseren din for behandlerne i dette rommet, og lagret hos oss bare slik. Til forskjell fra samtalen finnes det ingen sikkerhetskode for å sjekke nøklene deres, så dette beskytter meldingene mot en kopi av databasen vår, ikke mot selve serveren.',
          'Tekniske data: hva utstyrssjekken fant (kamera og mikrofon, nettleser, nettverkskvalitet) og hva som skjer i samtalen (demping, kamera, skjermdeling). For å kunne hjelpe når noe ikke virker.',
          'Samtalelogg: når samtalen var, hvor lenge den varte og hvem som var med. Slik at behandleren finner konsultasjonen i historikken sin.',
          ...(f.payments ? ['Betalingsopplysninger: beløp, valuta, dato og betalingsleverandørens referanse (uten navn og telefonnummer). Bokføringsloven krever dem. Kortopplysninger går bare til Stripe og lagres aldri hos oss.'] : []),
          'Internettadressen din bare som en forvrengt kode som skifter hver dag, for å hindre misbruk; aldri i lesbar form.',
          'Samtalene er ende-til-ende-krypterte: tjenesten kan verken se eller høre dem, og ingenting tas opp.',
        ],
      },
      {
        heading: 'Hvor lenge',
        paragraphs: [],
        items: [
          `Svar ved innsjekking${f.bankId ? ', BankID-resultater' : ''}, meldinger, tekniske data og samtalelogg: ${days(f.retentionDays)}, så slettes de.`,
          ...(f.payments ? [`Betalingsopplysninger: ${f.bookkeepingYears} år etter utgangen av regnskapsåret, slik bokføringsloven krever.`] : []),
          `Revisjonsloggen (hvilken ansatt som åpnet eller endret hva, og når): ${days(f.auditRetentionDays)}. Den viser til deg bare med et tilfeldig nummer.`,
          `Programlogger: ${f.logRetentionDays === null ? 'så lenge loggsystemet til driftsansvarlig for tjenesten tar vare på dem' : days(f.logRetentionDays)}. De inneholder ikke navn, telefonnumre, fødselsnumre eller meldingstekst.`,
        ],
      },
      {
        heading: 'Hva nettleseren din tar vare på',
        paragraphs: ['Ingen informasjonskapsler for analyse eller reklame.'],
        items: [
          'Nøkkelen til besøket ditt (lokal lagring): til besøket er over, så du beholder plassen om siden lastes på nytt.',
          'Kameraet og mikrofonen du valgte, og språket ditt (lokal lagring): til du sletter dem.',
          '«Husk meg» (lokal lagring): svarene dine i skjemaet, bare hvis du krysser av, til du fjerner krysset.',
          'Resultatet av nettverkstesten (lokal lagring): brukes i én time, så du slipper å ta den to ganger.',
          ...(f.bankId ? [`En BankID-informasjonskapsel: i høyst ${f.bankId.cookieMinutes} minutter, for å knytte BankID-innloggingen til denne nettleseren.`] : []),
          ...(f.payments ? ['Stripes informasjonskapsler: bare i betalingssteget, satt av Stripe for å hindre svindel.'] : []),
        ],
      },
      {
        heading: 'Hvem andre som behandler opplysningene dine',
        paragraphs: processors.length ? [] : [`${org} bruker ingen andre leverandører for opplysningene dine gjennom denne tjenesten.`],
        items: processors,
      },
      {
        heading: 'Dine rettigheter',
        paragraphs: [
          `Du kan be ${org} om en kopi av det som er lagret om deg, om å rette det eller om å slette det. ${f.privacyContact ? `Kontakt: ${CONTACT}.` : `Spør ${org} direkte; de har ikke oppgitt en personvernkontakt her ennå.`}`,
          'Du kan også klage til Datatilsynet.',
        ],
        items: [],
      },
    ],
    otherLanguage: { lang: 'en', label: 'English' },
  };
}
