export * from './errors.ts';
export * from './common.ts';
export * from './http.ts';
export * from './socket.ts';
export * from './check-in.ts';
export * from './bankid.ts';
export * from './payments.ts';
export * from './network-check.ts';
