/**
 * What a one-way send through a gateway reports: `sent` (handed to the
 * connection) or `gone` (the peer's connection is closed or the peer is not
 * registered). A `gone` is never silent: every caller decides what it means.
 */

/** The outcome of one send through a gateway. */
export type SendResult = 'sent' | 'gone';
