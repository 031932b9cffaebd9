import { createEvent } from 'ics';
import { appointmentTime, localeOf, type Language } from '../../protocol/index.ts';
import type { EmailMessage } from './email-sender.ts';

/*
 * What each e-mail says, in the five languages. An e-mail names only the organization, a time and a link
 * (a receipt: the amount too): never the visitor, their health, a national id or the room's specialty,
 * since e-mail passes through servers the organization does not control and sits in shared inboxes.
 * Placeholders are {org}, {time}, {amount}, {date}; times are written by Intl in the organization's zone.
 */

interface Texts {
  invitation: { subject: string; subjectAt: string; intro: string; introAt: string };
  reminder: { subject: string; intro: string };
  /** How to join (the link follows), and how to cancel: for invitations and reminders. */
  join: string;
  cancel: string;
  receipt: { subject: string; intro: string; amount: string; date: string; paidTo: string; keep: string };
  member: { subject: string; intro: string; open: string; code: string };
  /** Calendar entry's title. */
  calendarTitle: string;
  footer: string;
}

export const EMAIL_TEXTS: Record<Language, Texts> = {
  en: {
    invitation: {
      subject: 'Video consultation with {org}',
      subjectAt: 'Video consultation with {org} on {time}',
      intro: '{org} invites you to a video consultation.',
      introAt: '{org} has booked a video consultation with you on {time}.',
    },
    reminder: {
      subject: 'Reminder: video consultation with {org} on {time}',
      intro: 'This is a reminder of your video consultation with {org} on {time}.',
    },
    join: 'When it is time, open this link in the browser on your phone or computer (there is nothing to install):',
    cancel: 'If you cannot come, you can cancel with the same link.',
    receipt: {
      subject: 'Receipt for your video consultation with {org}',
      intro: 'Thank you for your payment. This is your receipt.',
      amount: 'Amount: {amount}',
      date: 'Date: {date}',
      paidTo: 'Paid to: {org}',
      keep: 'Please keep this e-mail as your receipt.',
    },
    member: {
      subject: 'Invitation to join {org}',
      intro: '{org} has invited you to use its video consultation service.',
      open: 'Open this link to choose your password:',
      code: 'You also need the invitation code, which your administrator gives you another way (not by e-mail). The invitation works until {time}.',
    },
    calendarTitle: 'Video consultation with {org}',
    footer: 'This e-mail was sent by {org} through its video consultation service. Replies to it are not read.',
  },
  nb: {
    invitation: {
      subject: 'Videokonsultasjon med {org}',
      subjectAt: 'Videokonsultasjon med {org} {time}',
      intro: '{org} inviterer deg til en videokonsultasjon.',
      introAt: '{org} har satt opp en videokonsultasjon med deg {time}.',
    },
    reminder: {
      subject: 'Påminnelse: videokonsultasjon med {org} {time}',
      intro: 'Vi minner om videokonsultasjonen din med {org} {time}.',
    },
    join: 'Når det er tid, åpner du denne lenken i nettleseren på mobilen eller datamaskinen (du trenger ikke å installere noe):',
    cancel: 'Hvis du ikke kan komme, kan du avlyse med den samme lenken.',
    receipt: {
      subject: 'Kvittering for videokonsultasjonen din med {org}',
      intro: 'Takk for betalingen. Dette er kvitteringen din.',
      amount: 'Beløp: {amount}',
      date: 'Dato: {date}',
      paidTo: 'Betalt til: {org}',
      keep: 'Ta vare på denne e-posten som kvittering.',
    },
    member: {
      subject: 'Invitasjon til {org}',
      intro: '{org} har invitert deg til å bruke videokonsultasjonstjenesten sin.',
      open: 'Åpne denne lenken for å velge passord:',
      code: 'Du trenger også invitasjonskoden, som administratoren gir deg på en annen måte (ikke på e-post). Invitasjonen gjelder til {time}.',
    },
    calendarTitle: 'Videokonsultasjon med {org}',
    footer: 'Denne e-posten er sendt av {org} gjennom videokonsultasjonstjenesten. Svar på den blir ikke lest.',
  },
  nn: {
    invitation: {
      subject: 'Videokonsultasjon med {org}',
      subjectAt: 'Videokonsultasjon med {org} {time}',
      intro: '{org} inviterer deg til ein videokonsultasjon.',
      introAt: '{org} har sett opp ein videokonsultasjon med deg {time}.',
    },
    reminder: {
      subject: 'Påminning: videokonsultasjon med {org} {time}',
      intro: 'Vi minner om videokonsultasjonen din med {org} {time}.',
    },
    join: 'Når det er tid, opnar du denne lenkja i nettlesaren på mobilen eller datamaskina (du treng ikkje installere noko):',
    cancel: 'Viss du ikkje kan kome, kan du avlyse med den same lenkja.',
    receipt: {
      subject: 'Kvittering for videokonsultasjonen din med {org}',
      intro: 'Takk for betalinga. Dette er kvitteringa di.',
      amount: 'Beløp: {amount}',
      date: 'Dato: {date}',
      paidTo: 'Betalt til: {org}',
      keep: 'Ta vare på denne e-posten som kvittering.',
    },
    member: {
      subject: 'Invitasjon til {org}',
      intro: '{org} har invitert deg til å bruke videokonsultasjonstenesta si.',
      open: 'Opna denne lenkja for å velje passord:',
      code: 'Du treng òg invitasjonskoden, som administratoren gir deg på ein annan måte (ikkje på e-post). Invitasjonen gjeld til {time}.',
    },
    calendarTitle: 'Videokonsultasjon med {org}',
    footer: 'Denne e-posten er send av {org} gjennom videokonsultasjonstenesta. Svar på han blir ikkje lesne.',
  },
  sv: {
    invitation: {
      subject: 'Videokonsultation med {org}',
      subjectAt: 'Videokonsultation med {org} {time}',
      intro: '{org} bjuder in dig till en videokonsultation.',
      introAt: '{org} har bokat en videokonsultation med dig {time}.',
    },
    reminder: {
      subject: 'Påminnelse: videokonsultation med {org} {time}',
      intro: 'Vi vill påminna om din videokonsultation med {org} {time}.',
    },
    join: 'När det är dags öppnar du den här länken i webbläsaren på mobilen eller datorn (du behöver inte installera något):',
    cancel: 'Om du inte kan komma kan du avboka via samma länk.',
    receipt: {
      subject: 'Kvitto för din videokonsultation med {org}',
      intro: 'Tack för din betalning. Här är ditt kvitto.',
      amount: 'Belopp: {amount}',
      date: 'Datum: {date}',
      paidTo: 'Betalt till: {org}',
      keep: 'Spara det här mejlet som kvitto.',
    },
    member: {
      subject: 'Inbjudan till {org}',
      intro: '{org} har bjudit in dig att använda sin tjänst för videokonsultationer.',
      open: 'Öppna den här länken för att välja lösenord:',
      code: 'Du behöver också inbjudningskoden, som administratören ger dig på annat sätt (inte via mejl). Inbjudan gäller till {time}.',
    },
    calendarTitle: 'Videokonsultation med {org}',
    footer: 'Det här mejlet skickades av {org} via tjänsten för videokonsultationer. Svar på det läses inte.',
  },
  da: {
    invitation: {
      subject: 'Videokonsultation med {org}',
      subjectAt: 'Videokonsultation med {org} {time}',
      intro: '{org} inviterer dig til en videokonsultation.',
      introAt: '{org} har booket en videokonsultation med dig {time}.',
    },
    reminder: {
      subject: 'Påmindelse: videokonsultation med {org} {time}',
      intro: 'Vi minder dig om din videokonsultation med {org} {time}.',
    },
    join: 'Når det er tid, åbner du dette link i browseren på din telefon eller computer (du behøver ikke at installere noget):',
    cancel: 'Hvis du ikke kan komme, kan du aflyse via det samme link.',
    receipt: {
      subject: 'Kvittering for din videokonsultation med {org}',
      intro: 'Tak for din betaling. Her er din kvittering.',
      amount: 'Beløb: {amount}',
      date: 'Dato: {date}',
      paidTo: 'Betalt til: {org}',
      keep: 'Gem denne e-mail som kvittering.',
    },
    member: {
      subject: 'Invitation til {org}',
      intro: '{org} har inviteret dig til at bruge sin videokonsultationstjeneste.',
      open: 'Åbn dette link for at vælge din adgangskode:',
      code: 'Du skal også bruge invitationskoden, som administratoren giver dig på en anden måde (ikke via e-mail). Invitationen gælder indtil {time}.',
    },
    calendarTitle: 'Videokonsultation med {org}',
    footer: 'Denne e-mail er sendt af {org} via videokonsultationstjenesten. Svar på den bliver ikke læst.',
  },
};

const fill = (template: string, values: Record<string, string>) => template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);

/** An amount in the currency's minor unit (øre, cents) as the language writes money: "kr 450,00", "NOK 450.00". */
export function moneyIn(lang: Language, amount: number, currency: string): string {
  const format = new Intl.NumberFormat(localeOf(lang), { style: 'currency', currency });
  return format.format(amount / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** An iCalendar file (METHOD:PUBLISH) for an invitation with a time. */
  calendar?: string;
}

export interface EmailContext {
  organizationName: string;
  timeZone: string;
  /** The sender's address, the calendar entry's organizer. */
  from: string;
  /** Where the service runs (the calendar entry's UID is made stable with it). */
  host: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

type Paragraph = string | { link: string; before: string };

function assemble(lang: Language, subject: string, paragraphs: Paragraph[]): Omit<RenderedEmail, 'calendar'> {
  const text = paragraphs.map((p) => (typeof p === 'string' ? p : `${p.before}\n${p.link}`)).join('\n\n');
  const body = paragraphs
    .map((p) =>
      typeof p === 'string'
        ? `<p>${escapeHtml(p)}</p>`
        : `<p>${escapeHtml(p.before)}<br><a href="${escapeHtml(p.link)}">${escapeHtml(p.link)}</a></p>`,
    )
    .join('\n');
  const html = `<!doctype html>\n<html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n<body style="font-family: system-ui, sans-serif; font-size: 16px; line-height: 1.5; max-width: 36em">\n${body}\n</body></html>\n`;
  return { subject, text: `${text}\n`, html };
}

/** The e-mail a message becomes, in its language, with times in the organization's zone. */
export function renderEmail(message: EmailMessage, c: EmailContext): RenderedEmail {
  const lang = message.language;
  const t = EMAIL_TEXTS[lang];
  const org = c.organizationName;
  const footer = fill(t.footer, { org });
  switch (message.kind) {
    case 'consultation-invitation': {
      const time = message.scheduledAt === null ? null : appointmentTime(message.scheduledAt, c.timeZone, lang);
      const subject = time === null ? fill(t.invitation.subject, { org }) : fill(t.invitation.subjectAt, { org, time });
      const intro = time === null ? fill(t.invitation.intro, { org }) : fill(t.invitation.introAt, { org, time });
      const mail = assemble(lang, subject, [intro, { before: t.join, link: message.link }, t.cancel, footer]);
      if (message.scheduledAt === null) return mail;
      return { ...mail, calendar: calendarEntry(message.consultationId, message.scheduledAt, fill(t.calendarTitle, { org }), `${intro}\n\n${t.join}\n${message.link}`, message.link, c) };
    }
    case 'consultation-reminder': {
      const time = appointmentTime(message.scheduledAt, c.timeZone, lang);
      return assemble(lang, fill(t.reminder.subject, { org, time }), [fill(t.reminder.intro, { org, time }), { before: t.join, link: message.link }, t.cancel, footer]);
    }
    case 'payment-receipt': {
      const date = new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'long', timeZone: c.timeZone }).format(message.paidAt);
      const amount = moneyIn(lang, message.amount, message.currency);
      const r = t.receipt;
      return assemble(lang, fill(r.subject, { org }), [r.intro, [fill(r.amount, { amount }), fill(r.date, { date }), fill(r.paidTo, { org })].join('\n'), r.keep, footer]);
    }
    case 'member-invitation': {
      const time = appointmentTime(message.expiresAt, c.timeZone, lang);
      const m = t.member;
      return assemble(lang, fill(m.subject, { org }), [fill(m.intro, { org }), { before: m.open, link: message.link }, fill(m.code, { time }), footer]);
    }
  }
}

/** Half an hour: what a calendar shows; the call itself may be shorter or longer. */
const CALENDAR_MINUTES = 30;

/**
 * The consultation as a calendar entry: the same UID for every e-mail about it (a calendar updates the
 * entry rather than adding another), its time in UTC (the reader's calendar shows it in their own zone).
 */
function calendarEntry(consultationId: string, at: number, title: string, description: string, link: string, c: EmailContext): string {
  const { error, value } = createEvent({
    productId: 'consult/video-consultation',
    method: 'PUBLISH',
    uid: `consultation-${consultationId}@${c.host}`,
    start: at,
    startInputType: 'utc',
    startOutputType: 'utc',
    duration: { minutes: CALENDAR_MINUTES },
    title,
    description,
    url: link,
    organizer: { name: c.organizationName, email: addressOf(c.from) },
  });
  if (error || !value) throw new Error(`calendar entry: ${error?.message ?? 'empty'}`);
  return value;
}

/** The bare address of "Name <address>" (or the address itself). */
export function addressOf(from: string): string {
  return /<([^<>]+)>\s*$/.exec(from)?.[1]?.trim() ?? from.trim();
}
