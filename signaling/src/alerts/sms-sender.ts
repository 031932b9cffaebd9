import { EventEmitter } from 'node:events';
import twilio from 'twilio';
import type { Config } from '../config.ts';

/** Twilio's own HTTP client, sending every API call to another base URL (a local stand-in in tests, or a proxy), same paths. */
function redirectingClient(base: string): twilio.RequestClient {
  const client = new twilio.RequestClient();
  const request = client.request.bind(client);
  client.request = ((opts: Parameters<typeof request>[0]) => {
    const url = new URL(opts.uri);
    return request({ ...opts, uri: `${base.replace(/\/$/, '')}${url.pathname}${url.search}` });
  }) as typeof client.request;
  return client;
}

/** Text messages through the real Twilio SDK; null when the deployment has no Twilio credentials. */
export class SmsSender {
  /** Each message Twilio took ('sent') or refused or could not be reached for ('failed'), for the metrics. */
  readonly outcomes = new EventEmitter<{ sent: []; failed: [] }>();

  private constructor(
    private readonly client: twilio.Twilio,
    private readonly from: string,
  ) {}

  static fromConfig(config: Config): SmsSender | null {
    if (!config.TWILIO_ACCOUNT_SID || !config.TWILIO_AUTH_TOKEN || !config.TWILIO_FROM) return null;
    const httpClient = config.TWILIO_API_BASE_URL ? redirectingClient(config.TWILIO_API_BASE_URL) : undefined;
    return new SmsSender(twilio(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN, { httpClient }), config.TWILIO_FROM);
  }

  /** Answers the message's sid, by which Twilio's record of it can be deleted later. */
  async send(to: string, body: string): Promise<string> {
    const from = this.from.startsWith('MG') ? { messagingServiceSid: this.from } : { from: this.from };
    try {
      const { sid } = await this.client.messages.create({ to, body, ...from });
      this.outcomes.emit('sent');
      return sid;
    } catch (error) {
      this.outcomes.emit('failed');
      throw error;
    }
  }

  /** Deletes Twilio's record of a message (its body and number); one already gone counts as deleted. */
  async remove(sid: string): Promise<void> {
    try {
      await this.client.messages(sid).remove();
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
    }
  }
}
