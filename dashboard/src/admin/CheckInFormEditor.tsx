import { useState } from 'preact/hooks';
import { CUSTOM_FIELDS_MAX, organizationAdminRoutes, type CheckInConfig, type CustomField } from '../../../signaling/protocol/index.ts';
import { fetchRoute } from '../api.ts';
import { t } from '../strings.ts';

type BuiltIn = 'phone' | 'birthDate' | 'reason';
const BUILT_IN: BuiltIn[] = ['phone', 'birthDate', 'reason'];

/** A stable id for a new custom field (answers stay with their field while its label changes). */
const newFieldId = () => [...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16).padStart(2, '0')).join('');

/**
 * What a room asks of its visitors before they wait: the admin turns fields on and off, adds custom ones
 * and the consent text. The server checks the whole form again (PUT .../check-in) and says what is wrong.
 */
export function CheckInFormEditor({ roomId, roomName, config, act }: {
  roomId: string;
  roomName: string;
  config: CheckInConfig;
  act: (action: () => Promise<void>) => Promise<void>;
}) {
  const [form, setForm] = useState<CheckInConfig>(config);
  const [optionsText, setOptionsText] = useState<Record<string, string>>(
    Object.fromEntries(config.custom.filter((f) => f.options).map((f) => [f.id, f.options!.join(', ')])),
  );
  const setBuiltIn = (key: BuiltIn | 'name', change: Partial<CheckInConfig[BuiltIn]>) => setForm((f) => ({ ...f, [key]: { ...f[key], ...change } }));
  const setCustom = (id: string, change: Partial<CustomField>) => setForm((f) => ({ ...f, custom: f.custom.map((c) => (c.id === id ? { ...c, ...change } : c)) }));
  const save = (e: Event) => {
    e.preventDefault();
    const custom = form.custom.map((c) =>
      c.kind === 'choice'
        ? { ...c, options: (optionsText[c.id] ?? '').split(',').map((o) => o.trim()).filter(Boolean) }
        : (({ options: _options, ...rest }) => rest)(c),
    );
    void act(async () => {
      await fetchRoute(organizationAdminRoutes.setRoomCheckIn, { params: { id: roomId }, body: { ...form, custom } });
    });
  };

  return (
    <details class="check-in-editor">
      <summary aria-label={t('admin.formFor', { name: roomName })}>{t('admin.form')}</summary>
      <form onSubmit={save}>
        <fieldset>
          <legend>{t('admin.formFields')}</legend>
          <label class="check">
            <input type="checkbox" checked={form.pseudonymous} onChange={(e) => setForm((f) => ({ ...f, pseudonymous: (e.currentTarget as HTMLInputElement).checked }))} />
            {t('admin.pseudonymous')}
          </label>
          <label class="check">
            <input type="checkbox" checked={form.name.enabled} disabled={form.pseudonymous} onChange={(e) => setBuiltIn('name', { enabled: (e.currentTarget as HTMLInputElement).checked, required: (e.currentTarget as HTMLInputElement).checked })} />
            {t('admin.field.name')}
          </label>
          {BUILT_IN.map((key) => (
            <div key={key} class="form-field-row">
              <label class="check">
                <input type="checkbox" checked={form[key].enabled} onChange={(e) => setBuiltIn(key, { enabled: (e.currentTarget as HTMLInputElement).checked })} />
                {t(`admin.field.${key}`)}
              </label>
              {form[key].enabled && (
                <label class="check">
                  <input type="checkbox" checked={form[key].required} onChange={(e) => setBuiltIn(key, { required: (e.currentTarget as HTMLInputElement).checked })} />
                  {t('admin.required')}
                </label>
              )}
            </div>
          ))}
          {form.reason.enabled && (
            <p class="notice" role="alert">
              {t('admin.reasonWarning')}
            </p>
          )}
        </fieldset>
        <fieldset>
          <legend>{t('admin.customFields', { max: CUSTOM_FIELDS_MAX })}</legend>
          {form.custom.map((c, i) => (
            <div key={c.id} class="form-field-row">
              <label class="field">
                <span>{t('admin.fieldLabel', { n: i + 1 })}</span>
                <input value={c.label} maxLength={80} onInput={(e) => setCustom(c.id, { label: (e.currentTarget as HTMLInputElement).value })} />
              </label>
              <label class="field">
                <span>{t('admin.fieldKind')}</span>
                <select value={c.kind} onChange={(e) => setCustom(c.id, { kind: (e.currentTarget as HTMLSelectElement).value as CustomField['kind'] })}>
                  {(['text', 'number', 'choice', 'checkbox'] as const).map((k) => (
                    <option key={k} value={k}>
                      {t(`admin.kind.${k}`)}
                    </option>
                  ))}
                </select>
              </label>
              {c.kind === 'choice' && (
                <label class="field">
                  <span>{t('admin.fieldOptions')}</span>
                  <input value={optionsText[c.id] ?? ''} onInput={(e) => setOptionsText((o) => ({ ...o, [c.id]: (e.currentTarget as HTMLInputElement).value }))} />
                </label>
              )}
              <label class="check">
                <input type="checkbox" checked={c.required} onChange={(e) => setCustom(c.id, { required: (e.currentTarget as HTMLInputElement).checked })} />
                {t('admin.required')}
              </label>
              <button type="button" class="secondary" onClick={() => setForm((f) => ({ ...f, custom: f.custom.filter((x) => x.id !== c.id) }))}>
                {t('admin.removeField')}
              </button>
            </div>
          ))}
          {form.custom.length < CUSTOM_FIELDS_MAX && (
            <button type="button" class="secondary" onClick={() => setForm((f) => ({ ...f, custom: [...f.custom, { id: newFieldId(), label: '', kind: 'text', required: false }] }))}>
              {t('admin.addField')}
            </button>
          )}
        </fieldset>
        <fieldset>
          <legend>{t('admin.consent')}</legend>
          <label class="check">
            <input
              type="checkbox"
              checked={!!form.consent}
              onChange={(e) => setForm((f) => ({ ...f, consent: (e.currentTarget as HTMLInputElement).checked ? { text: '', privacyUrl: 'https://' } : null }))}
            />
            {t('admin.consentOn')}
          </label>
          {form.consent && (
            <>
              <label class="field">
                <span>{t('admin.consentText')}</span>
                <textarea rows={3} value={form.consent.text} onInput={(e) => setForm((f) => ({ ...f, consent: { ...f.consent!, text: (e.currentTarget as HTMLTextAreaElement).value } }))} />
              </label>
              <label class="field">
                <span>{t('admin.privacyUrl')}</span>
                <input type="url" value={form.consent.privacyUrl} onInput={(e) => setForm((f) => ({ ...f, consent: { ...f.consent!, privacyUrl: (e.currentTarget as HTMLInputElement).value } }))} />
              </label>
            </>
          )}
        </fieldset>
        <button type="submit">{t('admin.saveForm')}</button>
      </form>
    </details>
  );
}
