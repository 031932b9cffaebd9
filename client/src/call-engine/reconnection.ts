/**
 * After a dropped connection (a network switch, a server restart), try again soon and often: a call's
 * media comes back only once signaling is back, so Socket.IO's default wait of up to 5 s is too long.
 * Shared by the visitor app and the dashboard.
 */
export const RECONNECTION = { reconnectionDelay: 250, reconnectionDelayMax: 1000, randomizationFactor: 0.3 } as const;
