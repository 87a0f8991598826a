/**
 * Producer end of one channel (one producer subtask → one consumer subtask).
 * Local consumers are reached through the shared ChannelRegistry; remote ones
 * over a TCP connection to their TaskManager's data server.
 */
import { connect, type Socket } from 'node:net';

import type { StreamElement } from '../elements.js';
import type { ChannelRegistry } from './channel-registry.js';
import { encodeBatch, encodeFrame, type ChannelHeader } from './frames.js';

export interface ChannelWriter {
  send(batch: StreamElement[]): Promise<void>;
  close(): Promise<void>;
}

export class LocalChannelWriter implements ChannelWriter {
  constructor(private readonly registry: ChannelRegistry, private readonly header: ChannelHeader) {}
  send(batch: StreamElement[]): Promise<void> {
    // Local batches are handed over by reference: the producer never touches a sent batch again.
    return this.registry.gate(this.header.edgeId, this.header.consumer).push(this.header.producer, batch);
  }
  async close(): Promise<void> {}
}

export class RemoteChannelWriter implements ChannelWriter {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;

  constructor(private readonly host: string, private readonly port: number, private readonly header: ChannelHeader) {}

  private open(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: this.host, port: this.port }, () => {
        s.setNoDelay(true);
        s.write(encodeFrame(Buffer.from(JSON.stringify(this.header), 'utf8')));
        this.socket = s;
        resolve(s);
      });
      s.once('error', reject);
    });
    return this.connecting;
  }

  async send(batch: StreamElement[]): Promise<void> {
    const s = await this.open();
    if (s.destroyed) throw new Error(`data connection to ${this.host}:${this.port} was closed`);
    if (!s.write(encodeBatch(batch))) {
      await new Promise<void>((resolve, reject) => {
        const onClose = () => reject(new Error(`data connection to ${this.host}:${this.port} was closed`));
        s.once('close', onClose);
        s.once('drain', () => { s.off('close', onClose); resolve(); });
      });
    }
  }

  async close(): Promise<void> {
    const s = this.socket;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => s.end(() => resolve()));
  }
}

