/*
 * Imported first by the payment frame. Back from a bank's page (3-D Secure or another payment method that
 * leaves the page), Stripe has put the PaymentIntent's client secret in this page's address
 * (`?payment_intent=...&payment_intent_client_secret=...`): it leaves the address bar and the frame's
 * history entry before anything else runs. Only whether the visitor came back is kept; the frame asks
 * Stripe how it went with the secret our server gives it, not with the one from the address.
 */
export const returnedFromBank = new URLSearchParams(location.search).has('payment_intent_client_secret');
if (location.search) history.replaceState(null, '', location.pathname);
