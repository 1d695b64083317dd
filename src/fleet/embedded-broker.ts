/**
 * The development default: with no broker configured, an in-process aedes broker on 127.0.0.1 so
 * a person can watch with `mosquitto_sub -p <port> -t 'voiceterm/#' -v`. Loopback only (no auth,
 * no TLS — it must never face a network). aedes speaks MQTT 3.1.1, so the link uses protocol 4
 * (correlation by the `transaction` field). A taken port is reported, not fatal: the caller logs
 * it and connects to whatever broker already listens there.
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  port: number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(port: number, host = '127.0.0.1'): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((r) => broker.close(() => r()));
    throw err;
  }
  // Errors of single client connections are the client's problem, never the terminal's.
  server.on('error', () => {});
  broker.on('clientError', () => {});
  broker.on('connectionError', () => {});
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    port: bound,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}
