import { Router } from 'express';
import { z } from 'zod';
import { apiError, consultationEvent, consultationEventTypes, ErrorCode, WEBHOOK_SIGNATURE_HEADER } from '../../protocol/index.ts';
import type { ApiRoute } from './api-router.ts';

type Json = Record<string, unknown>;

const STATUS_WORDS: Record<number, string> = {
  400: 'The request is malformed or a value is out of range (code bad_request, or a more precise one); nothing was changed.',
  401: 'No valid API key: missing, malformed, unknown or revoked (all answered alike).',
  404: 'No such consultation or room in the organization of the key.',
  409: 'The consultation is in a state that does not allow this (consultation_in_call, consultation_closed).',
  429: 'Too many calls (per API key per minute), too many failed authentications from your address (a valid key still works), or too many SMS invitations today; see Retry-After where given.',
  500: 'Something went wrong on our side.',
  503: 'A provider this needs is not set up on this server (sms_unavailable).',
};

/**
 * How a receiver checks a webhook (the same rule as webhooks/webhook-signature.ts signs by, and
 * webhooks/verify-signature.example.ts verifies by): written for the EHR's developer.
 */
const SIGNATURE_RULE =
  `Every delivery is signed in the ${WEBHOOK_SIGNATURE_HEADER} header: \`t=<unix seconds>,v1=<hex>\`, where each v1 is the ` +
  'lowercase hex HMAC-SHA256, keyed with the endpoint\'s signing secret (the whole `whsec_...` string, UTF-8), of the ' +
  'string `<t>.<raw body>`: the t value, a dot, and the request body exactly as received (the bytes, before any JSON ' +
  'parsing). To verify: compute the HMAC with your secret and accept the request if it equals any of the v1 values ' +
  '(compare in constant time). While a secret is being rotated there are several v1 values (the new secret\'s first, ' +
  'then the old one\'s), so a receiver holding either secret accepts. Reject a request whose t is more than 5 minutes ' +
  'from your clock (a replayed old delivery), or that has no matching v1.';
const SIGNATURE_EXAMPLE = `t=1767225600,v1=${'5f'.repeat(32)}`;

/**
 * A zod schema as OpenAPI 3.1 wants it (JSON Schema 2020-12), with schemas that carry an id moved to
 * components and referred to there. `io`: a request is described as accepted (input), an answer as sent.
 */
function schemaOf(schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const generated = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  const { $schema: _ignored, $defs, ...rest } = generated;
  for (const [name, def] of Object.entries(($defs as Json | undefined) ?? {})) components[name] = rewriteRefs(def);
  return rewriteRefs(rest) as Json;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewriteRefs(v)]),
    );
  }
  return value;
}

/** A route's path or query parameters, from its schema's properties. */
function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query', components: Json): Json[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input', components);
  const properties = (json.properties as Record<string, Json> | undefined) ?? {};
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: where, required: where === 'path' || required.has(name), schema: rest, ...(description ? { description } : {}) };
  });
}

/** The OpenAPI 3.1 document of the given v1 routes, the error body, and the webhook events. */
export function openApiDocument(routes: ApiRoute[], publicOrigin: string): Json {
  const components: Json = {};
  const paths: Record<string, Json> = {};
  const errorRef = { $ref: `#/components/schemas/Error` };
  schemaOf(apiError, 'output', components);
  components.ConsultationEvent = schemaOf(consultationEvent, 'output', components);
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Json = {};
    for (const r of route.responses) {
      responses[String(r.status)] = { description: r.description, ...(r.schema ? { content: { 'application/json': { schema: schemaOf(r.schema, 'output', components) } } } : {}) };
    }
    for (const status of [...route.errors, 401, 429, 500]) {
      responses[String(status)] = {
        description: STATUS_WORDS[status] ?? 'Error',
        ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds until a call may succeed again.', schema: { type: 'integer' } } } } : {}),
        ...(status === 401 ? { headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } } : {}),
        content: { 'application/json': { schema: errorRef } },
      };
    }
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      parameters: [...parametersOf(route.params, 'path', components), ...parametersOf(route.query, 'query', components)],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input', components) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Consult API',
      version: '1',
      description:
        "For EHR systems: create, follow and cancel video consultations. Authenticate with an API key made by an organization's admin in the dashboard: `Authorization: Bearer <key>`. Every call acts on the key's organization only. Errors are JSON `{\"error\": {\"code\", \"message\"}}`; codes: " +
        Object.values(ErrorCode).join(', ') +
        '. Times are ISO 8601. Consultation events reach you as webhooks: ' +
        consultationEventTypes.join(', ') +
        '.',
    },
    servers: [{ url: publicOrigin }],
    security: [{ apiKey: [] }],
    paths,
    webhooks: {
      consultationEvent: {
        post: {
          summary: 'Something happened to a consultation',
          description:
            'Sent to each webhook endpoint the organization set up, for the event types it chose. The same event id on every retry ' +
            '(answer anything but 2xx, or nothing, and it is tried again later with growing pauses). ' +
            SIGNATURE_RULE,
          parameters: [
            {
              name: WEBHOOK_SIGNATURE_HEADER,
              in: 'header',
              required: true,
              description: SIGNATURE_RULE,
              schema: { type: 'string', pattern: '^t=[0-9]+(,v1=[0-9a-f]{64})+$' },
              example: SIGNATURE_EXAMPLE,
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ConsultationEvent' } } } },
          responses: { '200': { description: 'Any 2xx status acknowledges the event.' } },
        },
      },
    },
    components: {
      schemas: components,
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: consult_<organization>.<key id>.<secret>' } },
    },
  };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The reference as one server-rendered page (our own stylesheet, no script, nothing from another host: it passes the CSP). */
export function docsPage(doc: Json): string {
  const info = doc.info as Json;
  const sections: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(operations)) {
      const params = (op.parameters as Json[]).map((p) => `<li><code>${escape(String(p.name))}</code> (${p.in}${p.required ? ', required' : ''})${p.description ? `: ${escape(String(p.description))}` : ''}</li>`);
      const body = op.requestBody ? `<h4>Request body</h4><pre>${escape(JSON.stringify((op.requestBody as any).content['application/json'].schema, null, 2))}</pre>` : '';
      const responses = Object.entries(op.responses as Record<string, Json>).map(
        ([status, r]) => `<li><strong>${status}</strong> ${escape(String(r.description))}${(r.content as any)?.['application/json'] && Number(status) < 400 ? `<pre>${escape(JSON.stringify((r.content as any)['application/json'].schema, null, 2))}</pre>` : ''}</li>`,
      );
      sections.push(
        `<section id="${escape(String(op.operationId))}"><h3><span class="method">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3><p>${escape(String(op.summary))}. ${escape(String(op.description ?? ''))}</p>` +
          (params.length ? `<h4>Parameters</h4><ul>${params.join('')}</ul>` : '') +
          body +
          `<h4>Responses</h4><ul>${responses.join('')}</ul></section>`,
      );
    }
  }
  // Each webhook with the headers it comes with (the signature and how to check it).
  const webhookSections = Object.entries((doc.webhooks as Record<string, Record<string, Json>> | undefined) ?? {}).flatMap(([name, operations]) =>
    Object.entries(operations).map(([method, op]) => {
      const headers = ((op.parameters as Json[] | undefined) ?? []).map(
        (p) => `<li><code>${escape(String(p.name))}</code> (${p.in}${p.required ? ', always sent' : ''}): ${escape(String(p.description ?? ''))}${p.example ? ` Example: <code>${escape(String(p.example))}</code>` : ''}</li>`,
      );
      return `<section id="webhook-${escape(name)}"><h3><span class="method">${method.toUpperCase()}</span> ${escape(String(op.summary))}</h3>` + (headers.length ? `<h4>Headers</h4><ul>${headers.join('')}</ul>` : '') + '</section>';
    }),
  );
  const schemas = Object.entries((doc.components as Json).schemas as Json).map(([name, schema]) => `<section id="schema-${escape(name)}"><h3>${escape(name)}</h3><pre>${escape(JSON.stringify(schema, null, 2))}</pre></section>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(String(info.title))} v${escape(String(info.version))}</title><link rel="stylesheet" href="/api/v1/docs.css"></head>
<body><main><h1>${escape(String(info.title))} v${escape(String(info.version))}</h1>
<p>${escape(String(info.description))}</p><p>Machine-readable: <a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
<h2>Operations</h2>${sections.join('\n')}
<h2>Webhooks</h2><p>Each event is POSTed as a <a href="#schema-ConsultationEvent">ConsultationEvent</a>.</p>${webhookSections.join('\n')}
<h2>Schemas</h2>${schemas.join('\n')}
</main></body></html>`;
}

const CSS = `body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;color:#1b1f24}main{max-width:60rem;margin:0 auto;padding:1rem 1.5rem}
pre{background:#f4f5f7;padding:.75rem;overflow:auto;font-size:.85rem}section{border-top:1px solid #dde;padding:.5rem 0}.method{background:#1b4d8c;color:#fff;padding:0 .4rem;border-radius:.2rem;font-size:.9rem}`;

/** GET /api/v1/openapi.json and /api/v1/docs (public: the description of the API is no secret). */
export function apiDescriptionRoutes(routes: () => ApiRoute[], publicOrigin: string): Router {
  const router = Router();
  let cached: { doc: Json; page: string } | null = null;
  // Built on first use, after every route (including ones added by other features) is registered.
  const built = () => (cached ??= (() => {
    const doc = openApiDocument(routes(), publicOrigin);
    return { doc, page: docsPage(doc) };
  })());
  router.get('/api/v1/openapi.json', (_req, res) => void res.json(built().doc));
  router.get('/api/v1/docs', (_req, res) => void res.type('html').send(built().page));
  router.get('/api/v1/docs.css', (_req, res) => void res.type('css').set('Cache-Control', 'max-age=3600').send(CSS));
  return router;
}
