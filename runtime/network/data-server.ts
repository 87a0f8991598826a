/**
 * A TaskManager's data endpoint: remote producers connect here, name their
 * channel in a header frame, then stream batches. The server grants credits
 * (the gate's capacity at first, then one per processed batch) on the same
 * socket; producers never send more than they were granted.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { ChannelRegistry } from './channel-registry.js';
import { decodeBatch, encodeCredit, FrameDecoder, type ChannelHeader } from './frames.js';

export class DataServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly registry: ChannelRegistry, private readonly onError: (err: Error) => void) {}

  async listen(host: string, port = 0): Promise<number> {
    this.server = createServer((s) => this.accept(s));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const addr = this.server.address();
    if (!addr || typeof addr === 'string') throw new Error('data server has no TCP address');
    return addr.port;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
    let header: ChannelHeader | undefined;
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (!header) {
          header = JSON.parse(frame.toString('utf8')) as ChannelHeader;
          const gate = this.registry.gate(header.edgeId, header.consumer);
          gate.onCredit(header.producer, (n) => { if (!socket.destroyed) socket.write(encodeCredit(n)); });
          socket.write(encodeCredit(gate.capacity));
          continue;
        }
        const h = header;
        const batch = decodeBatch(frame);
        // Credits keep the gate from overflowing, so this push does not wait; the chain keeps order.
        chain = chain
          .then(() => this.registry.gate(h.edgeId, h.consumer).push(h.producer, batch))
          .catch((err: Error) => this.onError(err));
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
