import type { Page } from 'playwright-core';

/*
 * A tiny stand-in for Stripe.js, for browser tests: no test machine reaches js.stripe.com, so Playwright
 * serves this instead (routeStripe below), and the production PaymentStep runs unchanged. Its Payment
 * Element is one card-number input; confirmPayment confirms through the Stripe stand-in (routed as
 * https://api.stripe.com) with the test payment method Stripe's test cards stand for:
 *   4242 4242 4242 4242 -> pm_card_visa (authorized)
 *   4000 0000 0000 0002 -> pm_card_chargeDeclined (card_declined)
 *   4000 0027 6000 3184 -> pm_card_threeDSecure2Required (3-D Secure, passed at once here)
 * Like Stripe.js it sends the publishable key as a `key` form field (a simple request: no CORS preflight).
 */
export const FAKE_STRIPE_JS = String.raw`
(function () {
  var CARDS = { '4242424242424242': 'pm_card_visa', '4000000000000002': 'pm_card_chargeDeclined', '4000002760003184': 'pm_card_threeDSecure2Required' };
  function form(o) { return Object.keys(o).map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(o[k]); }).join('&'); }
  function Stripe(key) {
    var api = 'https://api.stripe.com';
    function call(method, path, params) {
      var q = form(params);
      return fetch(api + path + (method === 'GET' ? '?' + q : ''), {
        method: method,
        headers: method === 'GET' ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
        body: method === 'GET' ? undefined : q,
      }).then(function (res) { return res.json().then(function (body) { return { status: res.status, body: body }; }); });
    }
    var intentOf = function (secret) { return secret.split('_secret_')[0]; };
    return {
      elements: function (opts) {
        var input = null;
        return {
          _clientSecret: opts.clientSecret,
          _card: function () { return input ? input.value.replace(/\s+/g, '') : ''; },
          create: function () {
            return {
              mount: function (target) {
                var at = typeof target === 'string' ? document.querySelector(target) : target;
                input = document.createElement('input');
                input.setAttribute('aria-label', 'Card number');
                input.setAttribute('inputmode', 'numeric');
                input.setAttribute('autocomplete', 'cc-number');
                input.setAttribute('placeholder', '1234 1234 1234 1234');
                at.appendChild(input);
              },
              on: function () {}, unmount: function () {}, destroy: function () { if (input) input.remove(); },
            };
          },
          submit: function () { return Promise.resolve({}); },
        };
      },
      retrievePaymentIntent: function (secret) {
        return call('GET', '/v1/payment_intents/' + intentOf(secret), { key: key, client_secret: secret }).then(function (r) { return { paymentIntent: r.body }; });
      },
      confirmPayment: function (o) {
        var secret = o.elements._clientSecret;
        var pm = CARDS[o.elements._card()];
        if (!pm) return Promise.resolve({ error: { type: 'validation_error', code: 'incomplete_number', message: 'Your card number is incomplete.' } });
        var id = intentOf(secret);
        return call('POST', '/v1/payment_intents/' + id + '/confirm', { key: key, client_secret: secret, payment_method: pm }).then(function (r) {
          if (r.body.error) return { error: r.body.error };
          if (r.body.status !== 'requires_action') return { paymentIntent: r.body };
          // Stripe.js would show the bank's 3-D Secure page here; the visitor passes it.
          return call('POST', '/stand-in/payment_intents/' + id + '/authenticate', { key: key, client_secret: secret }).then(function (a) {
            return a.body.error ? { error: a.body.error } : { paymentIntent: a.body };
          });
        });
      },
    };
  }
  Stripe.version = 'endive';
  window.Stripe = Stripe;
})();
`;

/** Serves the fake Stripe.js for js.stripe.com and sends api.stripe.com's calls to the Stripe stand-in. */
export async function routeStripe(page: Page, standInUrl: string): Promise<void> {
  await page.route('https://js.stripe.com/**', (route) => route.fulfill({ status: 200, contentType: 'application/javascript', body: FAKE_STRIPE_JS }));
  await page.route('https://api.stripe.com/**', async (route) => {
    const request = route.request();
    const url = new URL(request.url());
    const res = await fetch(`${standInUrl}${url.pathname}${url.search}`, {
      method: request.method(),
      headers: { 'content-type': request.headers()['content-type'] ?? 'application/x-www-form-urlencoded' },
      body: request.method() === 'GET' ? undefined : (request.postData() ?? ''),
    });
    await route.fulfill({ status: res.status, contentType: 'application/json', headers: { 'access-control-allow-origin': '*' }, body: await res.text() });
  });
}
