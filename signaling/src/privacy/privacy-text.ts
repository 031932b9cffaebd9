import { LANGUAGE_CODES, LANGUAGE_NAMES, LOCALES, type ConsultationEventType, type Language } from '../../protocol/index.ts';
import type { AuthorityCountry, PrivacyFacts } from './privacy-facts.ts';

export type PrivacyLanguage = Language;

export interface PrivacySection {
  heading: string;
  paragraphs: string[];
  items: string[];
}

export interface PrivacyText {
  title: string;
  intro: string;
  sections: PrivacySection[];
  /** Links to the page in the other languages, each named in itself. */
  otherLanguages: { lang: PrivacyLanguage; label: string }[];
}

/** Stands for the organization's contact (a link) inside a text; the page puts the link in its place. */
export const CONTACT = '{contact}';

/** "a, b and c" / "a, b eller c", as the language writes a list (Intl.ListFormat). */
const list = (lang: PrivacyLanguage, parts: string[], type: 'conjunction' | 'disjunction' = 'conjunction'): string =>
  new Intl.ListFormat(LOCALES[lang], { type }).format(parts);

/** A count with its noun in the number the language's plural rules choose: "1 day", "30 days". */
const count = (lang: PrivacyLanguage, n: number, forms: { one: string; other: string }): string =>
  `${n} ${new Intl.PluralRules(LOCALES[lang]).select(n) === 'one' ? forms.one : forms.other}`;

const otherLanguages = (lang: PrivacyLanguage): PrivacyText['otherLanguages'] =>
  LANGUAGE_CODES.filter((l) => l !== lang).map((l) => ({ lang: l, label: LANGUAGE_NAMES[l] }));

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
  nn: {
    'consultation.created': { when: 'konsultasjonen din blir bestilt' },
    'consultation.cancelled': { when: 'konsultasjonen din blir avlyst' },
    'visitor.arrived': { when: 'du kjem' },
    'visitor.left': { when: 'du går' },
    'visitor.admitted': { when: 'du blir sleppt inn' },
    'visitor.denied': { when: 'du blir avvist' },
    'visitor.transferred': { when: 'du blir flytta til eit anna rom' },
    'call.started': { when: 'samtalen startar' },
    'call.ended': { when: 'samtalen sluttar', also: 'kor lenge samtalen varte' },
    'payment.captured': { when: 'kortet ditt blir belasta', also: 'beløpet' },
  },
  sv: {
    'consultation.created': { when: 'din konsultation bokas' },
    'consultation.cancelled': { when: 'din konsultation ställs in' },
    'visitor.arrived': { when: 'du kommer' },
    'visitor.left': { when: 'du går' },
    'visitor.admitted': { when: 'du släpps in' },
    'visitor.denied': { when: 'du blir avvisad' },
    'visitor.transferred': { when: 'du flyttas till ett annat rum' },
    'call.started': { when: 'samtalet börjar' },
    'call.ended': { when: 'samtalet slutar', also: 'hur länge samtalet varade' },
    'payment.captured': { when: 'ditt kort debiteras', also: 'beloppet' },
  },
  da: {
    'consultation.created': { when: 'din konsultation bliver booket' },
    'consultation.cancelled': { when: 'din konsultation bliver aflyst' },
    'visitor.arrived': { when: 'du ankommer' },
    'visitor.left': { when: 'du går' },
    'visitor.admitted': { when: 'du bliver lukket ind' },
    'visitor.denied': { when: 'du bliver afvist' },
    'visitor.transferred': { when: 'du bliver flyttet til et andet rum' },
    'call.started': { when: 'samtalen begynder' },
    'call.ended': { when: 'samtalen slutter', also: 'hvor længe samtalen varede' },
    'payment.captured': { when: 'dit kort bliver trukket', also: 'beløbet' },
  },
};

const heard = (lang: PrivacyLanguage, events: ConsultationEventType[], and: string): string => {
  const words = events.map((e) => WEBHOOK_EVENTS[lang][e]);
  const also = words.flatMap((w) => (w.also ? [w.also] : []));
  return `${list(lang, words.map((w) => w.when), 'disjunction')}${also.length ? `, ${and} ${list(lang, also)}` : ''}`;
};

/**
 * Who else processes data, and where. Said once here so a change of provider or of the terms is one edit.
 * (Locations as the providers state them for European customers.)
 */
const PROCESSORS = {
  en: {
    stripe:
      'Stripe (card payment): receives your card details directly from your browser on the payment step, and the amount. Stripe Payments Europe, Ltd., Ireland; Stripe may transfer data to the USA under the EU standard contractual clauses.',
    twilio: (sms: PrivacyFacts['sms'], org: string, reminders: boolean) =>
      `Twilio (SMS): ${[
        sms.visitorInvitations && INVITED.en.sms(reminders, org),
        sms.staffAlerts && `sends staff a text message when someone is waiting; it gets the staff member’s phone number and a link${sms.visitorInvitations ? '' : ', nothing about you'}`,
      ]
        .filter(Boolean)
        .join('; it also ')}. Twilio Inc., USA, under the EU standard contractual clauses; we delete its copies when the retention period has passed.`,
    ehrApi: (org: string) =>
      `${org}’s record system (EHR), through our API: may fill in your name and phone number in advance, and reads when you arrived, were let in and how long the call lasted, under its own reference.`,
    webhooks: ({ hosts, events }: PrivacyFacts['ehr']['webhooks'][number], org: string) =>
      `${org}’s systems at ${list('en', hosts)} (notifications): told when ${heard('en', events, 'and')}, under ${org}’s own reference; never your name, answers or messages.`,
    hosting: (provider: string) => `${provider} (hosting): runs the machines this service stores and processes all of the above on.`,
    bankId: (host: string, org: string) =>
      `The BankID broker at ${host} (identification): relays your BankID login and tells us the result. BankID itself is run in Norway; the broker processes the login where its agreement with ${org} says.`,
  },
  nb: {
    stripe:
      'Stripe (kortbetaling): får kortopplysningene dine direkte fra nettleseren din i betalingssteget, og beløpet. Stripe Payments Europe, Ltd., Irland; Stripe kan overføre data til USA etter EUs standard personvernbestemmelser.',
    twilio: (sms: PrivacyFacts['sms'], org: string, reminders: boolean) =>
      `Twilio (SMS): ${[
        sms.visitorInvitations && INVITED.nb.sms(reminders, org),
        sms.staffAlerts && `sender ansatte en tekstmelding når noen venter; Twilio får den ansattes telefonnummer og en lenke${sms.visitorInvitations ? '' : ', ingenting om deg'}`,
      ]
        .filter(Boolean)
        .join('; Twilio ')}. Twilio Inc., USA, etter EUs standard personvernbestemmelser; vi sletter kopiene der når lagringstiden er ute.`,
    ehrApi: (org: string) =>
      `Journalsystemet til ${org}, gjennom API-et vårt: kan fylle inn navnet og telefonnummeret ditt på forhånd, og leser når du kom, ble sluppet inn og hvor lenge samtalen varte, under sin egen referanse.`,
    webhooks: ({ hosts, events }: PrivacyFacts['ehr']['webhooks'][number], org: string) =>
      `Systemene til ${org} på ${list('nb', hosts)} (varsler): får vite når ${heard('nb', events, 'og')}, under referansen til ${org}; aldri navnet ditt, svarene dine eller meldinger.`,
    hosting: (provider: string) => `${provider} (drift): driver maskinene tjenesten lagrer og behandler alt det ovenfor på.`,
    bankId: (host: string, org: string) =>
      `BankID-formidleren på ${host} (identifisering): formidler BankID-innloggingen din og gir oss resultatet. Selve BankID drives i Norge; formidleren behandler innloggingen der avtalen med ${org} sier.`,
  },
  nn: {
    stripe:
      'Stripe (kortbetaling): får kortopplysningane dine direkte frå nettlesaren din i betalingssteget, og beløpet. Stripe Payments Europe, Ltd., Irland; Stripe kan overføre data til USA etter standard personvernføresegner frå EU.',
    twilio: (sms: PrivacyFacts['sms'], org: string, reminders: boolean) =>
      `Twilio (SMS): ${[
        sms.visitorInvitations && INVITED.nn.sms(reminders, org),
        sms.staffAlerts && `sender tilsette ei tekstmelding når nokon ventar; Twilio får telefonnummeret til den tilsette og ei lenkje${sms.visitorInvitations ? '' : ', ingenting om deg'}`,
      ]
        .filter(Boolean)
        .join('; Twilio ')}. Twilio Inc., USA, etter standard personvernføresegner frå EU; vi slettar kopiane der når lagringstida er ute.`,
    ehrApi: (org: string) =>
      `Journalsystemet til ${org}, gjennom API-et vårt: kan fylle inn namnet og telefonnummeret ditt på førehand, og les når du kom, vart sleppt inn og kor lenge samtalen varte, under sin eigen referanse.`,
    webhooks: ({ hosts, events }: PrivacyFacts['ehr']['webhooks'][number], org: string) =>
      `Systema til ${org} på ${list('nn', hosts)} (varsel): får vite når ${heard('nn', events, 'og')}, under referansen til ${org}; aldri namnet ditt, svara dine eller meldingar.`,
    hosting: (provider: string) => `${provider} (drift): driv maskinene tenesta lagrar og behandlar alt det ovanfor på.`,
    bankId: (host: string, org: string) =>
      `BankID-formidlaren på ${host} (identifisering): formidlar BankID-innlogginga di og gir oss resultatet. Sjølve BankID blir driven i Noreg; formidlaren behandlar innlogginga der avtalen med ${org} seier.`,
  },
  sv: {
    stripe:
      'Stripe (kortbetalning): får dina kortuppgifter direkt från din webbläsare i betalningssteget, och beloppet. Stripe Payments Europe, Ltd., Irland; Stripe kan föra över data till USA enligt EU:s standardavtalsklausuler.',
    twilio: (sms: PrivacyFacts['sms'], org: string, reminders: boolean) =>
      `Twilio (sms): ${[
        sms.visitorInvitations && INVITED.sv.sms(reminders, org),
        sms.staffAlerts && `skickar ett sms till personalen när någon väntar; Twilio får personalens telefonnummer och en länk${sms.visitorInvitations ? '' : ', inget om dig'}`,
      ]
        .filter(Boolean)
        .join('; Twilio ')}. Twilio Inc., USA, enligt EU:s standardavtalsklausuler; vi raderar kopiorna där när lagringstiden har gått ut.`,
    ehrApi: (org: string) =>
      `Journalsystemet hos ${org}, via vårt API: kan fylla i ditt namn och telefonnummer i förväg, och läser när du kom, släpptes in och hur länge samtalet varade, under sin egen referens.`,
    webhooks: ({ hosts, events }: PrivacyFacts['ehr']['webhooks'][number], org: string) =>
      `Systemen hos ${org} på ${list('sv', hosts)} (aviseringar): får veta när ${heard('sv', events, 'och')}, under referensen hos ${org}; aldrig ditt namn, dina svar eller meddelanden.`,
    hosting: (provider: string) => `${provider} (drift): driver de maskiner som tjänsten lagrar och behandlar allt ovanstående på.`,
    bankId: (host: string, org: string) =>
      `BankID-förmedlaren på ${host} (legitimering): förmedlar din BankID-inloggning och ger oss resultatet. BankID drivs i Norge; förmedlaren behandlar inloggningen där avtalet med ${org} anger.`,
  },
  da: {
    stripe:
      'Stripe (kortbetaling): modtager dine kortoplysninger direkte fra din browser på betalingstrinnet, og beløbet. Stripe Payments Europe, Ltd., Irland; Stripe kan overføre data til USA efter EU’s standardkontraktbestemmelser.',
    twilio: (sms: PrivacyFacts['sms'], org: string, reminders: boolean) =>
      `Twilio (sms): ${[
        sms.visitorInvitations && INVITED.da.sms(reminders, org),
        sms.staffAlerts && `sender personalet en sms, når nogen venter; Twilio får medarbejderens telefonnummer og et link${sms.visitorInvitations ? '' : ', intet om dig'}`,
      ]
        .filter(Boolean)
        .join('; Twilio ')}. Twilio Inc., USA, efter EU’s standardkontraktbestemmelser; vi sletter kopierne dér, når opbevaringsperioden er udløbet.`,
    ehrApi: (org: string) =>
      `Journalsystemet hos ${org}, gennem vores API: kan udfylde dit navn og telefonnummer på forhånd, og læser, hvornår du ankom, blev lukket ind, og hvor længe samtalen varede, under sin egen reference.`,
    webhooks: ({ hosts, events }: PrivacyFacts['ehr']['webhooks'][number], org: string) =>
      `Systemerne hos ${org} på ${list('da', hosts)} (notifikationer): får besked, når ${heard('da', events, 'og')}, under referencen hos ${org}; aldrig dit navn, dine svar eller beskeder.`,
    hosting: (provider: string) => `${provider} (drift): driver de maskiner, som tjenesten gemmer og behandler alt ovenstående på.`,
    bankId: (host: string, org: string) =>
      `BankID-formidleren på ${host} (identifikation): formidler dit BankID-login og giver os resultatet. Selve BankID drives i Norge; formidleren behandler loginet dér, hvor aftalen med ${org} siger.`,
  },
};


/** "24 hours", "1 time", "2 dygn": a reminder's distance from the consultation as the language says it (Intl); a day is 24 hours, as the setting shows it. */
const before = (lang: PrivacyLanguage, minutes: number): string => {
  const [n, unit] = minutes % 1440 === 0 && minutes > 1440 ? [minutes / 1440, 'day'] : minutes % 60 === 0 ? [minutes / 60, 'hour'] : [minutes, 'minute'];
  return new Intl.NumberFormat(LOCALES[lang], { style: 'unit', unit, unitDisplay: 'long' }).format(n);
};
const reminderTimes = (lang: PrivacyLanguage, minutes: number[]) => list(lang, minutes.map((m) => before(lang, m)));
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Invitations and reminders by SMS or e-mail (what this server sends), in each language: what is kept of
 * the visitor for them, for how long, what the e-mail server gets, and whom to complain to. Each a
 * function of the facts, so a page says only what is true for its organization and this server.
 */
const INVITED: Record<
  PrivacyLanguage,
  {
    /** The visitor's contacts, as "your mobile number or e-mail address". */
    contacts: (i: PrivacyFacts['invitations']) => string;
    stored: (i: PrivacyFacts['invitations'], org: string) => string;
    kept: (i: PrivacyFacts['invitations'], days: string) => string;
    /** Twilio's part (within its item), after "Twilio (SMS): ". */
    sms: (reminders: boolean, org: string) => string;
    email: (i: PrivacyFacts['invitations'], host: string, org: string) => string;
    authority: Record<AuthorityCountry | 'other', string>;
    complain: (authority: string) => string;
  }
> = {
  en: {
    contacts: (i) => `your ${list('en', [i.sms && 'mobile number', i.email && 'e-mail address'].filter((x): x is string => !!x), 'disjunction')}`,
    stored: (i, org) =>
      `${capital(INVITED.en.contacts(i))}, if ${org} invites you to a consultation that way: to send you its link${i.reminderMinutes.length ? ` and reminders ${reminderTimes('en', i.reminderMinutes)} before it` : ''}${i.emailReceipts && i.email ? ', and, by e-mail, the receipt for a card payment' : ''}. Stored encrypted, with a record of each message sent to you (when, which way, and whether it arrived).`,
    kept: (i, days) => `${capital(INVITED.en.contacts(i)).replace(' or ', ' and ')} for invitations, and the records of the messages sent to you: ${days}, then they are deleted.`,
    sms: (reminders, org) => `sends you your invitation${reminders ? ' and reminders' : ''} by text message when ${org} invites you that way; it gets your phone number, the time of your appointment and your link`,
    email: (i, host, org) =>
      `The e-mail server at ${host} (e-mail): sends you ${list('en', ['your invitation', i.reminderMinutes.length ? 'reminders' : '', i.emailReceipts ? 'the receipt for a card payment' : ''].filter(Boolean))} by e-mail when ${org} invites you that way; it gets your e-mail address and the message (${org}’s name, the time of your appointment and your link${i.emailReceipts ? '; in a receipt, the amount' : ''}), never your name or anything about your health.`,
    authority: {
      NO: 'the Norwegian Data Protection Authority (Datatilsynet)',
      SE: 'the Swedish Authority for Privacy Protection (Integritetsskyddsmyndigheten, IMY)',
      DK: 'the Danish Data Protection Agency (Datatilsynet)',
      other: 'the data protection authority where you live',
    },
    complain: (a) => `You may also complain to ${a}.`,
  },
  nb: {
    contacts: (i) => list('nb', [i.sms && 'mobilnummeret ditt', i.email && 'e-postadressen din'].filter((x): x is string => !!x), 'disjunction'),
    stored: (i, org) =>
      `${capital(INVITED.nb.contacts(i))}, hvis ${org} inviterer deg til en konsultasjon på den måten: for å sende deg lenken${i.reminderMinutes.length ? ` og påminnelser ${reminderTimes('nb', i.reminderMinutes)} før` : ''}${i.emailReceipts && i.email ? ', og kvitteringen for en kortbetaling på e-post' : ''}. Lagret kryptert, sammen med en oversikt over hver melding vi har sendt deg (når, hvordan og om den kom fram).`,
    kept: (i, days) => `${capital(list('nb', [i.sms && 'mobilnummer', i.email && 'e-postadresse'].filter((x): x is string => !!x)))} for invitasjoner, og oversikten over meldingene vi har sendt deg: ${days}, så slettes de.`,
    sms: (reminders, org) => `sender deg invitasjonen${reminders ? ' og påminnelser' : ''} som tekstmelding når ${org} inviterer deg på den måten; Twilio får telefonnummeret ditt, tidspunktet for timen og lenken din`,
    email: (i, host, org) =>
      `E-postserveren på ${host} (e-post): sender deg ${list('nb', ['invitasjonen', i.reminderMinutes.length ? 'påminnelser' : '', i.emailReceipts ? 'kvitteringen for en kortbetaling' : ''].filter(Boolean))} på e-post når ${org} inviterer deg på den måten; den får e-postadressen din og meldingen (navnet til ${org}, tidspunktet for timen og lenken din${i.emailReceipts ? '; i en kvittering: beløpet' : ''}), aldri navnet ditt eller noe om helsen din.`,
    authority: {
      NO: 'Datatilsynet',
      SE: 'Integritetsskyddsmyndigheten (IMY), tilsynsmyndigheten i Sverige',
      DK: 'Datatilsynet i Danmark',
      other: 'datatilsynsmyndigheten der du bor',
    },
    complain: (a) => `Du kan også klage til ${a}.`,
  },
  nn: {
    contacts: (i) => list('nn', [i.sms && 'mobilnummeret ditt', i.email && 'e-postadressa di'].filter((x): x is string => !!x), 'disjunction'),
    stored: (i, org) =>
      `${capital(INVITED.nn.contacts(i))}, om ${org} inviterer deg til ein konsultasjon på den måten: for å sende deg lenkja${i.reminderMinutes.length ? ` og påminningar ${reminderTimes('nn', i.reminderMinutes)} før` : ''}${i.emailReceipts && i.email ? ', og kvitteringa for ei kortbetaling på e-post' : ''}. Lagra kryptert, saman med ei oversikt over kvar melding vi har sendt deg (når, korleis og om ho kom fram).`,
    kept: (i, days) => `${capital(list('nn', [i.sms && 'mobilnummer', i.email && 'e-postadresse'].filter((x): x is string => !!x)))} for invitasjonar, og oversikta over meldingane vi har sendt deg: ${days}, så blir dei sletta.`,
    sms: (reminders, org) => `sender deg invitasjonen${reminders ? ' og påminningar' : ''} som tekstmelding når ${org} inviterer deg på den måten; Twilio får telefonnummeret ditt, tidspunktet for timen og lenkja di`,
    email: (i, host, org) =>
      `E-posttenaren på ${host} (e-post): sender deg ${list('nn', ['invitasjonen', i.reminderMinutes.length ? 'påminningar' : '', i.emailReceipts ? 'kvitteringa for ei kortbetaling' : ''].filter(Boolean))} på e-post når ${org} inviterer deg på den måten; han får e-postadressa di og meldinga (namnet til ${org}, tidspunktet for timen og lenkja di${i.emailReceipts ? '; i ei kvittering: beløpet' : ''}), aldri namnet ditt eller noko om helsa di.`,
    authority: {
      NO: 'Datatilsynet',
      SE: 'Integritetsskyddsmyndigheten (IMY), tilsynsstyresmakta i Sverige',
      DK: 'Datatilsynet i Danmark',
      other: 'datatilsynsstyresmakta der du bur',
    },
    complain: (a) => `Du kan òg klage til ${a}.`,
  },
  sv: {
    contacts: (i) => list('sv', [i.sms && 'ditt mobilnummer', i.email && 'din e-postadress'].filter((x): x is string => !!x), 'disjunction'),
    stored: (i, org) =>
      `${capital(INVITED.sv.contacts(i))}, om ${org} bjuder in dig till en konsultation på det sättet: för att skicka länken till dig${i.reminderMinutes.length ? ` och påminnelser ${reminderTimes('sv', i.reminderMinutes)} före` : ''}${i.emailReceipts && i.email ? ', och kvittot för en kortbetalning via e-post' : ''}. Sparas krypterat, tillsammans med en förteckning över varje meddelande vi har skickat till dig (när, hur och om det kom fram).`,
    kept: (i, days) => `${capital(list('sv', [i.sms && 'mobilnummer', i.email && 'e-postadress'].filter((x): x is string => !!x)))} för inbjudningar, och förteckningen över meddelanden vi har skickat till dig: ${days}, sedan raderas de.`,
    sms: (reminders, org) => `skickar din inbjudan${reminders ? ' och påminnelser' : ''} till dig som sms när ${org} bjuder in dig på det sättet; Twilio får ditt telefonnummer, tiden för ditt besök och din länk`,
    email: (i, host, org) =>
      `E-postservern på ${host} (e-post): skickar ${list('sv', ['din inbjudan', i.reminderMinutes.length ? 'påminnelser' : '', i.emailReceipts ? 'kvittot för en kortbetalning' : ''].filter(Boolean))} till dig via e-post när ${org} bjuder in dig på det sättet; den får din e-postadress och meddelandet (namnet på ${org}, tiden för ditt besök och din länk${i.emailReceipts ? '; i ett kvitto: beloppet' : ''}), aldrig ditt namn eller något om din hälsa.`,
    authority: {
      NO: 'den norska dataskyddsmyndigheten (Datatilsynet)',
      SE: 'Integritetsskyddsmyndigheten (IMY)',
      DK: 'den danska dataskyddsmyndigheten (Datatilsynet)',
      other: 'dataskyddsmyndigheten där du bor',
    },
    complain: (a) => `Du kan också klaga hos ${a}.`,
  },
  da: {
    contacts: (i) => list('da', [i.sms && 'dit mobilnummer', i.email && 'din e-mailadresse'].filter((x): x is string => !!x), 'disjunction'),
    stored: (i, org) =>
      `${capital(INVITED.da.contacts(i))}, hvis ${org} inviterer dig til en konsultation på den måde: for at sende dig linket${i.reminderMinutes.length ? ` og påmindelser ${reminderTimes('da', i.reminderMinutes)} før` : ''}${i.emailReceipts && i.email ? ', og kvitteringen for en kortbetaling på e-mail' : ''}. Gemt krypteret, sammen med en oversigt over hver besked, vi har sendt dig (hvornår, hvordan, og om den nåede frem).`,
    kept: (i, days) => `${capital(list('da', [i.sms && 'mobilnummer', i.email && 'e-mailadresse'].filter((x): x is string => !!x)))} til invitationer og oversigten over de beskeder, vi har sendt dig: ${days}, derefter slettes de.`,
    sms: (reminders, org) => `sender dig din invitation${reminders ? ' og påmindelser' : ''} som sms, når ${org} inviterer dig på den måde; Twilio får dit telefonnummer, tidspunktet for din tid og dit link`,
    email: (i, host, org) =>
      `E-mailserveren på ${host} (e-mail): sender dig ${list('da', ['din invitation', i.reminderMinutes.length ? 'påmindelser' : '', i.emailReceipts ? 'kvitteringen for en kortbetaling' : ''].filter(Boolean))} på e-mail, når ${org} inviterer dig på den måde; den får din e-mailadresse og beskeden (navnet på ${org}, tidspunktet for din tid og dit link${i.emailReceipts ? '; i en kvittering: beløbet' : ''}), aldrig dit navn eller noget om dit helbred.`,
    authority: {
      NO: 'det norske datatilsyn (Datatilsynet)',
      SE: 'den svenske databeskyttelsesmyndighed (Integritetsskyddsmyndigheten, IMY)',
      DK: 'Datatilsynet',
      other: 'databeskyttelsesmyndigheden, hvor du bor',
    },
    complain: (a) => `Du kan også klage til ${a}.`,
  },
};

/** The invitation's parts of a page: what is stored, for how long, the e-mail server among the recipients, and whom to complain to. */
function invitedParts(lang: PrivacyLanguage, f: PrivacyFacts, days: (n: number) => string) {
  const t = INVITED[lang];
  const i = f.invitations;
  const invited = i.sms || i.email;
  return {
    stored: invited ? [t.stored(i, f.organizationName)] : [],
    kept: invited ? [t.kept(i, days(f.retentionDays))] : [],
    email: i.email && f.emailProvider ? [t.email(i, f.emailProvider, f.organizationName)] : [],
    complain: t.complain(t.authority[f.authorityCountry ?? 'other']),
  };
}

export function privacyText(lang: PrivacyLanguage, f: PrivacyFacts): PrivacyText {
  return { en: english, nb: norwegian, nn: nynorsk, sv: swedish, da: danish }[lang](f);
}

function english(f: PrivacyFacts): PrivacyText {
  const org = f.organizationName;
  const answers = list(
    'en',
    [
      f.form.name && 'your name',
      f.form.accessCode && 'the access code you were given (instead of a name)',
      f.form.phone && 'your phone number',
      f.form.birthDate && 'your date of birth',
      f.form.reason && 'the reason for your visit, in your words',
      f.form.custom && `your answers to ${org}’s own questions`,
    ].filter((x): x is string => !!x),
  );
  const days = (n: number) => count('en', n, { one: 'day', other: 'days' });
  const inv = invitedParts('en', f, days);
  const processors = [
    ...(f.bankId ? [PROCESSORS.en.bankId(f.bankId.brokerHost, org)] : []),
    ...(f.payments ? [PROCESSORS.en.stripe] : []),
    ...(f.sms.staffAlerts || f.sms.visitorInvitations ? [PROCESSORS.en.twilio(f.sms, org, f.invitations.reminderMinutes.length > 0)] : []),
    ...inv.email,
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
          ...inv.stored,
          'Your internet address only as a scrambled code that changes every day, to stop abuse; never in readable form.',
          'Calls are end-to-end encrypted: the service cannot see or hear them, and nothing is recorded.',
        ],
      },
      {
        heading: 'For how long',
        paragraphs: [],
        items: [
          `Check-in answers${f.bankId ? ', BankID results' : ''}, messages, technical data and call records: ${days(f.retentionDays)}, then they are deleted.`,
          ...(f.payments ? [`Payment records: ${count('en', f.bookkeepingYears, { one: 'year', other: 'years' })} after the end of the financial year, as bookkeeping law requires.`] : []),
          ...inv.kept,
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
          inv.complain,
        ],
        items: [],
      },
    ],
    otherLanguages: otherLanguages('en'),
  };
}

function norwegian(f: PrivacyFacts): PrivacyText {
  const org = f.organizationName;
  const answers = list(
    'nb',
    [
      f.form.name && 'navnet ditt',
      f.form.accessCode && 'tilgangskoden du fikk (i stedet for navn)',
      f.form.phone && 'telefonnummeret ditt',
      f.form.birthDate && 'fødselsdatoen din',
      f.form.reason && 'grunnen til besøket, med dine ord',
      f.form.custom && `svarene dine på spørsmålene til ${org}`,
    ].filter((x): x is string => !!x),
  );
  const days = (n: number) => count('nb', n, { one: 'dag', other: 'dager' });
  const inv = invitedParts('nb', f, days);
  const processors = [
    ...(f.bankId ? [PROCESSORS.nb.bankId(f.bankId.brokerHost, org)] : []),
    ...(f.payments ? [PROCESSORS.nb.stripe] : []),
    ...(f.sms.staffAlerts || f.sms.visitorInvitations ? [PROCESSORS.nb.twilio(f.sms, org, f.invitations.reminderMinutes.length > 0)] : []),
    ...inv.email,
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
          ...inv.stored,
          'Internettadressen din bare som en forvrengt kode som skifter hver dag, for å hindre misbruk; aldri i lesbar form.',
          'Samtalene er ende-til-ende-krypterte: tjenesten kan verken se eller høre dem, og ingenting tas opp.',
        ],
      },
      {
        heading: 'Hvor lenge',
        paragraphs: [],
        items: [
          `Svar ved innsjekking${f.bankId ? ', BankID-resultater' : ''}, meldinger, tekniske data og samtalelogg: ${days(f.retentionDays)}, så slettes de.`,
          ...(f.payments ? [`Betalingsopplysninger: ${count('nb', f.bookkeepingYears, { one: 'år', other: 'år' })} etter utgangen av regnskapsåret, slik bokføringsloven krever.`] : []),
          ...inv.kept,
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
          inv.complain,
        ],
        items: [],
      },
    ],
    otherLanguages: otherLanguages('nb'),
  };
}

function nynorsk(f: PrivacyFacts): PrivacyText {
  const org = f.organizationName;
  const answers = list(
    'nn',
    [
      f.form.name && 'namnet ditt',
      f.form.accessCode && 'tilgangskoden du fekk (i staden for namn)',
      f.form.phone && 'telefonnummeret ditt',
      f.form.birthDate && 'fødselsdatoen din',
      f.form.reason && 'grunnen til besøket, med dine ord',
      f.form.custom && `svara dine på spørsmåla til ${org}`,
    ].filter((x): x is string => !!x),
  );
  const days = (n: number) => count('nn', n, { one: 'dag', other: 'dagar' });
  const inv = invitedParts('nn', f, days);
  const p = PROCESSORS.nn;
  const processors = [
    ...(f.bankId ? [p.bankId(f.bankId.brokerHost, org)] : []),
    ...(f.payments ? [p.stripe] : []),
    ...(f.sms.staffAlerts || f.sms.visitorInvitations ? [p.twilio(f.sms, org, f.invitations.reminderMinutes.length > 0)] : []),
    ...inv.email,
    ...(f.ehr.api ? [p.ehrApi(org)] : []),
    ...f.ehr.webhooks.map((w) => p.webhooks(w, org)),
    ...(f.hostingProvider ? [p.hosting(f.hostingProvider)] : []),
  ];
  return {
    title: `Personvern hos ${org}`,
    intro: `${org} har videokonsultasjonar med denne tenesta. Denne sida fortel kva som blir lagra om deg når du brukar ho, kvifor, kor lenge, kva nettlesaren din tek vare på, kven andre som behandlar opplysningane dine, og korleis du ber om innsyn, retting eller sletting. Ho er laga ut frå innstillingane ${org} har no.`,
    sections: [
      {
        heading: 'Kva som blir lagra, og kvifor',
        paragraphs: [],
        items: [
          `Svara dine ved innsjekking${answers ? `: ${answers}` : ''}. Slik at behandlaren veit kven som ventar og kan førebu seg.`,
          ...(f.bankId
            ? [`BankID-resultatet ditt: namn og fødselsdato slik BankID stadfestar dei${f.bankId.nationalId ? ', og fødselsnummeret ditt (lagra kryptert)' : ''}. Slik at ${org} veit at det er deg før konsultasjonen.`]
            : []),
          'Meldingar du utvekslar medan du ventar: krypterte i nettlesaren din for behandlarane i dette rommet, og lagra hos oss berre slik. Ulikt samtalen finst det ingen tryggleikskode for å sjekke nøklane deira, så dette vernar meldingane mot ein kopi av databasen vår, ikkje mot sjølve tenaren.',
          'Tekniske data: kva utstyrssjekken fann (kamera og mikrofon, nettlesar, nettverkskvalitet) og kva som skjer i samtalen (demping, kamera, skjermdeling). For å kunne hjelpe når noko ikkje verkar.',
          'Samtalelogg: når samtalen var, kor lenge han varte og kven som var med. Slik at behandlaren finn konsultasjonen i historikken sin.',
          ...(f.payments ? ['Betalingsopplysningar: beløp, valuta, dato og referansen til betalingsleverandøren (utan namn og telefonnummer). Bokføringslova krev dei. Kortopplysningar går berre til Stripe og blir aldri lagra hos oss.'] : []),
          ...inv.stored,
          'Internettadressa di berre som ein forvrengd kode som skiftar kvar dag, for å hindre misbruk; aldri i lesbar form.',
          'Samtalane er ende-til-ende-krypterte: tenesta kan verken sjå eller høyre dei, og ingenting blir teke opp.',
        ],
      },
      {
        heading: 'Kor lenge',
        paragraphs: [],
        items: [
          `Svar ved innsjekking${f.bankId ? ', BankID-resultat' : ''}, meldingar, tekniske data og samtalelogg: ${days(f.retentionDays)}, så blir dei sletta.`,
          ...(f.payments ? [`Betalingsopplysningar: ${count('nn', f.bookkeepingYears, { one: 'år', other: 'år' })} etter utgangen av rekneskapsåret, slik bokføringslova krev.`] : []),
          ...inv.kept,
          `Revisjonsloggen (kva tilsett som opna eller endra kva, og når): ${days(f.auditRetentionDays)}. Han viser til deg berre med eit tilfeldig nummer.`,
          `Programloggar: ${f.logRetentionDays === null ? 'så lenge loggsystemet til driftsansvarleg for tenesta tek vare på dei' : days(f.logRetentionDays)}. Dei inneheld ikkje namn, telefonnummer, fødselsnummer eller meldingstekst.`,
        ],
      },
      {
        heading: 'Kva nettlesaren din tek vare på',
        paragraphs: ['Ingen informasjonskapslar for analyse eller reklame.'],
        items: [
          'Nøkkelen til besøket ditt (lokal lagring): til besøket er over, så du held på plassen om sida blir lasta på nytt.',
          'Kameraet og mikrofonen du valde, og språket ditt (lokal lagring): til du slettar dei.',
          '«Hugs meg» (lokal lagring): svara dine i skjemaet, berre om du kryssar av, til du fjernar krysset.',
          'Resultatet av nettverkstesten (lokal lagring): blir brukt i ein time, så du slepp å ta han to gonger.',
          ...(f.bankId ? [`Ein BankID-informasjonskapsel: i høgst ${f.bankId.cookieMinutes} minutt, for å knyte BankID-innlogginga til denne nettlesaren.`] : []),
          ...(f.payments ? ['Informasjonskapslane til Stripe: berre i betalingssteget, sette av Stripe for å hindre svindel.'] : []),
        ],
      },
      {
        heading: 'Kven andre som behandlar opplysningane dine',
        paragraphs: processors.length ? [] : [`${org} brukar ingen andre leverandørar for opplysningane dine gjennom denne tenesta.`],
        items: processors,
      },
      {
        heading: 'Rettane dine',
        paragraphs: [
          `Du kan be ${org} om ein kopi av det som er lagra om deg, om å rette det eller om å slette det. ${f.privacyContact ? `Kontakt: ${CONTACT}.` : `Spør ${org} direkte; dei har ikkje oppgitt ein personvernkontakt her enno.`}`,
          inv.complain,
        ],
        items: [],
      },
    ],
    otherLanguages: otherLanguages('nn'),
  };
}

function swedish(f: PrivacyFacts): PrivacyText {
  const org = f.organizationName;
  const answers = list(
    'sv',
    [
      f.form.name && 'ditt namn',
      f.form.accessCode && 'åtkomstkoden du fick (i stället för ett namn)',
      f.form.phone && 'ditt telefonnummer',
      f.form.birthDate && 'ditt födelsedatum',
      f.form.reason && 'anledningen till ditt besök, med dina egna ord',
      f.form.custom && `dina svar på frågorna från ${org}`,
    ].filter((x): x is string => !!x),
  );
  const days = (n: number) => count('sv', n, { one: 'dag', other: 'dagar' });
  const inv = invitedParts('sv', f, days);
  const p = PROCESSORS.sv;
  const processors = [
    ...(f.bankId ? [p.bankId(f.bankId.brokerHost, org)] : []),
    ...(f.payments ? [p.stripe] : []),
    ...(f.sms.staffAlerts || f.sms.visitorInvitations ? [p.twilio(f.sms, org, f.invitations.reminderMinutes.length > 0)] : []),
    ...inv.email,
    ...(f.ehr.api ? [p.ehrApi(org)] : []),
    ...f.ehr.webhooks.map((w) => p.webhooks(w, org)),
    ...(f.hostingProvider ? [p.hosting(f.hostingProvider)] : []),
  ];
  return {
    title: `Integritet hos ${org}`,
    intro: `${org} har videokonsultationer med den här tjänsten. Den här sidan berättar vad som sparas om dig när du använder den, varför, hur länge, vad din webbläsare sparar, vilka andra som behandlar dina uppgifter och hur du begär tillgång, rättelse eller radering. Den är skapad utifrån de inställningar ${org} har nu.`,
    sections: [
      {
        heading: 'Vad som sparas, och varför',
        paragraphs: [],
        items: [
          `Dina svar vid incheckningen${answers ? `: ${answers}` : ''}. Så att vårdgivaren vet vem som väntar och kan förbereda sig.`,
          ...(f.bankId
            ? [`Ditt BankID-resultat: ditt namn och födelsedatum så som BankID bekräftar dem${f.bankId.nationalId ? ', och ditt personnummer (sparat krypterat)' : ''}. Så att ${org} vet att det är du före konsultationen.`]
            : []),
          'Meddelanden du skickar medan du väntar: krypterade i din webbläsare för det här rummets vårdgivare, och sparade hos oss bara i den formen. Till skillnad från samtalet finns det ingen säkerhetskod för att kontrollera deras nycklar, så detta skyddar meddelandena mot en kopia av vår databas, inte mot vår server själv.',
          'Teknisk data: vad enhetskontrollen hittade (kamera och mikrofon, webbläsare, nätverkskvalitet) och vad som händer i samtalet (avstängt ljud, kamera, skärmdelning). För att kunna hjälpa när något inte fungerar.',
          'Samtalsuppgifter: när samtalet var, hur länge det varade och vilka som deltog. Så att vårdgivaren hittar konsultationen i sin historik.',
          ...(f.payments ? ['Betalningsuppgifter: belopp, valuta, datum och betalleverantörens referens (inget namn, inget telefonnummer). Bokföringsregler kräver dem. Kortuppgifter går bara till Stripe och sparas aldrig hos oss.'] : []),
          ...inv.stored,
          'Din internetadress bara som en förvrängd kod som byts varje dag, för att förhindra missbruk; aldrig i läsbar form.',
          'Samtalen är krypterade från ände till ände: tjänsten kan varken se eller höra dem, och ingenting spelas in.',
        ],
      },
      {
        heading: 'Hur länge',
        paragraphs: [],
        items: [
          `Svar vid incheckningen${f.bankId ? ', BankID-resultat' : ''}, meddelanden, teknisk data och samtalsuppgifter: ${days(f.retentionDays)}, sedan raderas de.`,
          ...(f.payments ? [`Betalningsuppgifter: ${count('sv', f.bookkeepingYears, { one: 'år', other: 'år' })} efter räkenskapsårets slut, som bokföringsreglerna kräver.`] : []),
          ...inv.kept,
          `Granskningsloggen (vilken medarbetare som öppnade eller ändrade vad, och när): ${days(f.auditRetentionDays)}. Den hänvisar till dig bara med ett slumpmässigt nummer.`,
          `Programloggar: ${f.logRetentionDays === null ? 'så länge loggsystemet hos tjänstens driftansvarige sparar dem' : days(f.logRetentionDays)}. De innehåller inga namn, telefonnummer, personnummer eller meddelandetext.`,
        ],
      },
      {
        heading: 'Vad din webbläsare sparar',
        paragraphs: ['Inga kakor (cookies) för analys eller reklam.'],
        items: [
          'Nyckeln till ditt besök (lokal lagring): tills besöket är slut, så att du behåller din plats om sidan laddas om.',
          'Kameran och mikrofonen du valde, och ditt språk (lokal lagring): tills du rensar dem.',
          '”Kom ihåg mig” (lokal lagring): dina svar i formuläret, bara om du kryssar i rutan, tills du tar bort krysset.',
          'Resultatet av nätverkstestet (lokal lagring): används i en timme, så att du inte behöver göra det två gånger.',
          ...(f.bankId ? [`En BankID-kaka: i högst ${f.bankId.cookieMinutes} minuter, för att knyta din BankID-inloggning till den här webbläsaren.`] : []),
          ...(f.payments ? ['Stripes kakor: bara i betalningssteget, satta av Stripe för att förhindra bedrägerier.'] : []),
        ],
      },
      {
        heading: 'Vilka andra som behandlar dina uppgifter',
        paragraphs: processors.length ? [] : [`${org} använder inga andra leverantörer för dina uppgifter genom den här tjänsten.`],
        items: processors,
      },
      {
        heading: 'Dina rättigheter',
        paragraphs: [
          `Du kan be ${org} om en kopia av det som sparas om dig, om att rätta det eller om att radera det. ${f.privacyContact ? `Kontakt: ${CONTACT}.` : `Fråga ${org} direkt; de har ännu inte angett någon kontakt för integritetsfrågor här.`}`,
          inv.complain,
        ],
        items: [],
      },
    ],
    otherLanguages: otherLanguages('sv'),
  };
}

function danish(f: PrivacyFacts): PrivacyText {
  const org = f.organizationName;
  const answers = list(
    'da',
    [
      f.form.name && 'dit navn',
      f.form.accessCode && 'den adgangskode, du fik (i stedet for et navn)',
      f.form.phone && 'dit telefonnummer',
      f.form.birthDate && 'din fødselsdato',
      f.form.reason && 'årsagen til dit besøg, med dine egne ord',
      f.form.custom && `dine svar på spørgsmålene fra ${org}`,
    ].filter((x): x is string => !!x),
  );
  const days = (n: number) => count('da', n, { one: 'dag', other: 'dage' });
  const inv = invitedParts('da', f, days);
  const p = PROCESSORS.da;
  const processors = [
    ...(f.bankId ? [p.bankId(f.bankId.brokerHost, org)] : []),
    ...(f.payments ? [p.stripe] : []),
    ...(f.sms.staffAlerts || f.sms.visitorInvitations ? [p.twilio(f.sms, org, f.invitations.reminderMinutes.length > 0)] : []),
    ...inv.email,
    ...(f.ehr.api ? [p.ehrApi(org)] : []),
    ...f.ehr.webhooks.map((w) => p.webhooks(w, org)),
    ...(f.hostingProvider ? [p.hosting(f.hostingProvider)] : []),
  ];
  return {
    title: `Privatliv hos ${org}`,
    intro: `${org} holder videokonsultationer med denne tjeneste. Denne side fortæller, hvad der gemmes om dig, når du bruger den, hvorfor, hvor længe, hvad din browser gemmer, hvem der ellers behandler dine oplysninger, og hvordan du beder om indsigt, berigtigelse eller sletning. Den er lavet ud fra de indstillinger, ${org} har nu.`,
    sections: [
      {
        heading: 'Hvad der gemmes, og hvorfor',
        paragraphs: [],
        items: [
          `Dine svar ved indtjekningen${answers ? `: ${answers}` : ''}. Så behandleren ved, hvem der venter, og kan forberede sig.`,
          ...(f.bankId
            ? [`Dit BankID-resultat: dit navn og din fødselsdato, som BankID bekræfter dem${f.bankId.nationalId ? ', og dit personnummer (gemt krypteret)' : ''}. Så ${org} ved, at det er dig, før konsultationen.`]
            : []),
          'Beskeder, du udveksler, mens du venter: krypteret i din browser til behandlerne i dette rum og kun gemt hos os i den form. I modsætning til samtalen er der ingen sikkerhedskode til at tjekke deres nøgler, så dette beskytter beskederne mod en kopi af vores database, ikke mod selve vores server.',
          'Tekniske data: hvad enhedstjekket fandt (kamera og mikrofon, browser, netværkskvalitet), og hvad der sker i samtalen (slået lyd fra, kamera, skærmdeling). Så vi kan hjælpe, når noget ikke virker.',
          'Samtaleoplysninger: hvornår samtalen var, hvor længe den varede, og hvem der deltog. Så behandleren kan finde konsultationen i sin historik.',
          ...(f.payments ? ['Betalingsoplysninger: beløb, valuta, dato og betalingsudbyderens reference (intet navn, intet telefonnummer). Bogføringsreglerne kræver dem. Kortoplysninger går kun til Stripe og gemmes aldrig hos os.'] : []),
          ...inv.stored,
          'Din internetadresse kun som en sløret kode, der skifter hver dag, for at forhindre misbrug; aldrig i læsbar form.',
          'Samtaler er end-to-end-krypterede: tjenesten kan hverken se eller høre dem, og intet optages.',
        ],
      },
      {
        heading: 'Hvor længe',
        paragraphs: [],
        items: [
          `Svar ved indtjekningen${f.bankId ? ', BankID-resultater' : ''}, beskeder, tekniske data og samtaleoplysninger: ${days(f.retentionDays)}, derefter slettes de.`,
          ...(f.payments ? [`Betalingsoplysninger: ${count('da', f.bookkeepingYears, { one: 'år', other: 'år' })} efter regnskabsårets udløb, som bogføringsreglerne kræver.`] : []),
          ...inv.kept,
          `Revisionsloggen (hvilken medarbejder der åbnede eller ændrede hvad, og hvornår): ${days(f.auditRetentionDays)}. Den henviser kun til dig med et tilfældigt nummer.`,
          `Programlogge: ${f.logRetentionDays === null ? 'så længe tjenesteoperatørens logsystem gemmer dem' : days(f.logRetentionDays)}. De indeholder ingen navne, telefonnumre, personnumre eller beskedtekst.`,
        ],
      },
      {
        heading: 'Hvad din browser gemmer',
        paragraphs: ['Ingen cookies til statistik eller reklame.'],
        items: [
          'Nøglen til dit besøg (lokal lagring): indtil besøget slutter, så du beholder din plads, hvis siden genindlæses.',
          'Det kamera og den mikrofon, du valgte, og dit sprog (lokal lagring): indtil du sletter dem.',
          '»Husk mig« (lokal lagring): dine svar i formularen, kun hvis du sætter kryds, indtil du fjerner krydset.',
          'Resultatet af netværkstesten (lokal lagring): bruges i en time, så du ikke behøver at tage den to gange.',
          ...(f.bankId ? [`En BankID-cookie: i højst ${f.bankId.cookieMinutes} minutter, for at knytte dit BankID-login til denne browser.`] : []),
          ...(f.payments ? ['Stripes cookies: kun på betalingstrinnet, sat af Stripe for at forhindre svindel.'] : []),
        ],
      },
      {
        heading: 'Hvem der ellers behandler dine oplysninger',
        paragraphs: processors.length ? [] : [`${org} bruger ingen andre udbydere til dine oplysninger gennem denne tjeneste.`],
        items: processors,
      },
      {
        heading: 'Dine rettigheder',
        paragraphs: [
          `Du kan bede ${org} om en kopi af det, der er gemt om dig, om at rette det eller om at slette det. ${f.privacyContact ? `Kontakt: ${CONTACT}.` : `Spørg ${org} direkte; de har endnu ikke angivet en kontakt for privatliv her.`}`,
          inv.complain,
        ],
        items: [],
      },
    ],
    otherLanguages: otherLanguages('da'),
  };
}
