import { useState } from 'preact/hooks';
import {
  checkInAnswersSchema,
  CUSTOM_TEXT_MAX,
  ErrorCode,
  localeOf,
  MESSAGE_MAX,
  type CheckInAnswers,
  type CheckInConfig,
  type CustomField,
  type DeviceCheckReport,
  type VisitRequest,
  type VisitResponse,
  visitorRoutes,
} from '../../../signaling/protocol/index.ts';
import { callRoute } from '../http/call-route.ts';
import { i18n, newTab, privacyLink, t, type StringKey } from '../strings.ts';

/**
 * A server process that is stopping (a restart, an update) refuses check-ins with shutting_down; the next
 * try reaches one that is running. About a minute of tries, spread a little so a room's visitors do not
 * all come back at the same instant.
 */
const RESTART_RETRY_MS = 1500;
const RESTART_RETRIES = 40;

async function postVisit(body: VisitRequest, onRetrying: () => void) {
  for (let attempt = 0; ; attempt++) {
    const res = await callRoute(visitorRoutes.checkIn, { body });
    if (res.ok || res.status !== 503 || attempt >= RESTART_RETRIES) return res;
    if (res.error?.code !== ErrorCode.shuttingDown) return res;
    onRetrying();
    await new Promise((r) => setTimeout(r, RESTART_RETRY_MS * (0.75 + Math.random() / 2)));
  }
}

/** "Remember me on this device": the visitor's own name, phone and birth date, in this browser only. */
const REMEMBER_KEY = 'consult.remember-me';

function rememberedAnswers(): Record<string, string> | null {
  try {
    const stored = JSON.parse(localStorage.getItem(REMEMBER_KEY) ?? 'null') as Record<string, unknown> | null;
    if (!stored || typeof stored !== 'object') return null;
    return Object.fromEntries(Object.entries(stored).filter(([k, v]) => ['name', 'phone', 'birthDate'].includes(k) && typeof v === 'string')) as Record<string, string>;
  } catch {
    return null;
  }
}

function rememberAnswers(answers: Record<string, string | undefined>): void {
  localStorage.setItem(REMEMBER_KEY, JSON.stringify(Object.fromEntries(Object.entries(answers).filter(([, v]) => v !== undefined))));
}

function forgetAnswers(): void {
  localStorage.removeItem(REMEMBER_KEY);
}

/** Where an answer goes: a built-in field, or a custom one by id. */
type FieldKey = 'name' | 'accessCode' | 'phone' | 'birthDate' | 'reason' | 'consent' | `custom.${string}`;

/** An error code from the shared schema, in the visitor's words (the name keeps its own wording). */
function wordsFor(field: FieldKey, code: string): string {
  if (field === 'name' && code.startsWith('name_')) return t(`checkin.${code}` as StringKey);
  const key = `checkin.error.${code}` as StringKey;
  const worded = t(key);
  return worded === key ? t('checkin.error.invalid') : worded;
}

/** The field a schema issue (or a field the server refused) is about. */
function fieldOf(path: PropertyKey[]): FieldKey {
  return (path[0] === 'custom' && path[1] ? `custom.${String(path[1])}` : String(path[0] ?? 'name')) as FieldKey;
}

/**
 * The room's check-in form, as its admin configured it. The answers are checked with the schema the
 * server builds from the same configuration, so the visitor sees the exact reason at the field before
 * anything is sent; the server's refusal is shown the same way.
 */
/** What "Remember me" would keep of this form: only what it asks (a pseudonymous visitor's answers are never kept). */
function rememberable(config: CheckInConfig): ('name' | 'phone' | 'birthDate')[] {
  if (config.pseudonymous) return [];
  return (['name', 'phone', 'birthDate'] as const).filter((f) => config[f].enabled);
}

/** "name, phone number and date of birth", as the visitor's language writes a list (Intl.ListFormat). */
function listed(parts: string[]): string {
  return new Intl.ListFormat(localeOf(i18n.language()), { type: 'conjunction' }).format(parts);
}

export function CheckInForm({ link, professionalName, config, prefill, deviceCheck, privacyPage, onCheckedIn, onLinkClosed }: {
  /** The room's link, or a scheduled consultation's private link. */
  link: { roomSlug: string } | { consultation: string };
  professionalName: string;
  config: CheckInConfig;
  /** What the clinic filled in for this consultation's visitor: it wins over answers remembered on this device (which may be another person's). */
  prefill?: { name?: string; phone?: string };
  /** What the device check found; it goes with the answers. */
  deviceCheck?: DeviceCheckReport;
  /** The organization's privacy page, linked beside the questions. */
  privacyPage: string;
  onCheckedIn: (r: VisitResponse) => void;
  /** The consultation's link was taken by someone else, or its consultation ended, while the form was open. */
  onLinkClosed: (state: 'in_use' | 'ended') => void;
}) {
  const [values, setValues] = useState<Record<string, string | boolean>>(() => ({ ...rememberedAnswers(), ...prefill }));
  const [remember, setRemember] = useState(() => rememberedAnswers() !== null);
  const [errors, setErrors] = useState<Partial<Record<FieldKey, string>>>({});
  const [failure, setFailure] = useState<StringKey | null>(null);
  /** The server is restarting: the form tries again by itself meanwhile. */
  const [retrying, setRetrying] = useState(false);
  const [busy, setBusy] = useState(false);
  const set = (key: FieldKey, value: string | boolean) => setValues((v) => ({ ...v, [key]: value }));
  const kept = rememberable(config);

  /** What was typed, as the schema expects it: empty fields left out, numbers as numbers. */
  const answers = (): CheckInAnswers => {
    const text = (key: FieldKey) => {
      const v = values[key];
      return typeof v === 'string' && v.trim() !== '' ? v : undefined;
    };
    const custom: Record<string, string | number | boolean> = {};
    for (const f of config.custom) {
      const v = values[`custom.${f.id}`];
      if (f.kind === 'checkbox') {
        if (v === true || f.required) custom[f.id] = v === true;
      } else if (typeof v === 'string' && v.trim() !== '') custom[f.id] = f.kind === 'number' ? Number(v.replace(',', '.')) : v;
    }
    const a: CheckInAnswers = {};
    if (config.pseudonymous) {
      if (text('accessCode')) a.accessCode = text('accessCode');
    } else if (config.name.enabled && text('name')) a.name = text('name');
    if (config.phone.enabled && text('phone')) a.phone = text('phone');
    if (config.birthDate.enabled && text('birthDate')) a.birthDate = text('birthDate');
    if (config.reason.enabled && text('reason')) a.reason = text('reason');
    if (Object.keys(custom).length) a.custom = custom;
    if (config.consent && values.consent === true) a.consent = true;
    return a;
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setFailure(null);
    const parsed = checkInAnswersSchema(config).safeParse(answers());
    if (!parsed.success) {
      const found: Partial<Record<FieldKey, string>> = {};
      for (const issue of parsed.error.issues) {
        const field = fieldOf(issue.path);
        found[field] ??= wordsFor(field, issue.message);
      }
      setErrors(found);
      document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const body: VisitRequest = { ...link, answers: parsed.data as Record<string, unknown>, ...(deviceCheck ? { deviceCheck } : {}) };
      const res = await postVisit(body, () => setRetrying(true));
      setRetrying(false);
      if (res.ok) {
        // Only on this device, only if asked, only who they are (never the reason or the room's own questions).
        // (A pseudonymous visitor gave no name to remember.)
        if (remember && !config.pseudonymous) rememberAnswers({ name: parsed.data.name, phone: parsed.data.phone, birthDate: parsed.data.birthDate });
        else forgetAnswers();
        return onCheckedIn(res.data);
      }
      if (res.status === 400 || res.status === 409) {
        const error = res.error;
        // The link's consultation: someone else checked in with it a moment ago, or it ended meanwhile.
        // The page then says what the link's page says when opened so: no form left to try again with.
        if (error?.code === ErrorCode.linkInUse) return onLinkClosed('in_use');
        if (error?.code === ErrorCode.consultationClosed) return onLinkClosed('ended');
        // The field the server refused, with its code, shown at that field.
        const refused = error?.details?.fields?.[0] ?? { field: '', code: 'invalid' };
        const field = fieldOf(refused.field.replace(/^answers\./, '').split('.'));
        setErrors({ [field]: wordsFor(field, refused.code) });
        return;
      }
      // A room whose price cannot be paid on this server now, or whose BankID broker is not reachable: the clinic must act.
      const code = res.status === 503 ? res.error?.code : undefined;
      // 404: the link stopped working while the form was open (a consultation cancelled, a room deleted).
      setFailure(res.status === 429 ? 'checkin.rateLimited' : res.status === 404 ? 'link.invalid' : code === 'payments_unavailable' ? 'payment.unavailable' : 'checkin.failed');
    } catch {
      setFailure('checkin.failed');
    } finally {
      setRetrying(false);
      setBusy(false);
    }
  };

  const field = (key: FieldKey, label: string, required: boolean, input: (attrs: Record<string, unknown>) => preact.JSX.Element, help?: string) => {
    const error = errors[key];
    const id = `checkin-${key.replace('.', '-')}`;
    return (
      <div class="field" key={key}>
        <label for={id}>
          <span>{label}</span>
          {!required && <span class="muted"> {t('checkin.optional')}</span>}
        </label>
        {input({ id, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': error ? `${id}-error` : help ? `${id}-help` : undefined })}
        {error ? (
          <p id={`${id}-error`} class="error" role="alert">
            {error}
          </p>
        ) : (
          help && (
            <p id={`${id}-help`} class="help">
              {help}
            </p>
          )
        )}
      </div>
    );
  };
  const textInput = (key: FieldKey, extra: Record<string, unknown> = {}) => (attrs: Record<string, unknown>) => (
    <input {...attrs} {...extra} value={(values[key] as string) ?? ''} onInput={(e) => set(key, (e.currentTarget as HTMLInputElement).value)} />
  );
  const customInput = (f: CustomField) => {
    const key: FieldKey = `custom.${f.id}`;
    if (f.kind === 'choice') {
      return (attrs: Record<string, unknown>) => (
        <select {...attrs} value={(values[key] as string) ?? ''} onChange={(e) => set(key, (e.currentTarget as HTMLSelectElement).value)}>
          <option value="">{t('checkin.chooseOne')}</option>
          {f.options!.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
    }
    if (f.kind === 'checkbox') {
      return (attrs: Record<string, unknown>) => <input {...attrs} type="checkbox" checked={values[key] === true} onChange={(e) => set(key, (e.currentTarget as HTMLInputElement).checked)} />;
    }
    return textInput(key, f.kind === 'number' ? { type: 'text', inputMode: 'decimal' } : { maxLength: CUSTOM_TEXT_MAX * 2 });
  };

  return (
    <form class="check-in" onSubmit={submit} noValidate>
      {config.pseudonymous &&
        field('accessCode', t('checkin.accessCode'), true, textInput('accessCode', { autocomplete: 'off', autocapitalize: 'characters', spellcheck: false, maxLength: 40 }), t('checkin.accessCodeHelp'))}
      {!config.pseudonymous &&
        config.name.enabled &&
        field('name', t('checkin.name'), config.name.required, textInput('name', { name: 'name', autocomplete: 'name', maxLength: 200 }), t('checkin.nameHelp', { name: professionalName }))}
      {config.phone.enabled && field('phone', t('checkin.phone'), config.phone.required, textInput('phone', { type: 'tel', autocomplete: 'tel', maxLength: 40 }))}
      {config.birthDate.enabled && field('birthDate', t('checkin.birthDate'), config.birthDate.required, textInput('birthDate', { type: 'date', autocomplete: 'bday' }))}
      {config.reason.enabled &&
        field(
          'reason',
          t('checkin.reason'),
          config.reason.required,
          (attrs) => <textarea {...attrs} rows={3} value={(values.reason as string) ?? ''} onInput={(e) => set('reason', (e.currentTarget as HTMLTextAreaElement).value)} />,
          t('checkin.reasonHelp', { max: MESSAGE_MAX }),
        )}
      {config.custom.map((f) => field(`custom.${f.id}`, f.label, f.required, customInput(f)))}
      {config.consent && (
        <div class="field consent">
          <p>{config.consent.text}</p>
          <p>
            <a href={config.consent.privacyUrl} target="_blank" rel="noopener noreferrer">
              {t('checkin.privacy')}
            </a>
          </p>
          {field('consent', t('checkin.consentAccept'), true, (attrs) => (
            <input {...attrs} type="checkbox" checked={values.consent === true} onChange={(e) => set('consent', (e.currentTarget as HTMLInputElement).checked)} />
          ))}
        </div>
      )}
      {kept.length > 0 && (
        <div class="field remember">
          <label class="check">
            <input type="checkbox" checked={remember} onChange={(e) => setRemember((e.currentTarget as HTMLInputElement).checked)} />
            {t('checkin.remember')}
          </label>
          <p class="help">{t('checkin.rememberHelp', { fields: listed(kept.map((f) => t(`checkin.remember.${f}`))) })}</p>
          {rememberedAnswers() && (
            <button
              type="button"
              class="secondary"
              onClick={() => {
                forgetAnswers();
                setRemember(false);
                setValues({});
              }}
            >
              {t('checkin.forget')}
            </button>
          )}
        </div>
      )}
      <p class="help">
        <a href={privacyLink(privacyPage)} {...newTab}>
          {t('privacy.link')}
        </a>
      </p>
      {failure && (
        <p class="error" role="alert">
          {t(failure)}
        </p>
      )}
      {retrying && (
        <p class="help" role="status">
          {t('checkin.retrying')}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {busy ? t('checkin.submitting') : t('checkin.submit')}
      </button>
    </form>
  );
}
