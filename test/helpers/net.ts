// Loopback ports for integration tests.
import { createServer } from 'node:net';

/** A loopback port nothing listens on: bound, then released (for a server to take, or to dial and fail). */
export function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
