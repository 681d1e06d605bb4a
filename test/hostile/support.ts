/**
 * Shared by the hostile-input suites: how many generated cases to try (FUZZ_CASES, short in CI),
 * the seed (FUZZ_SEED, printed so a failure can be replayed), a raw-socket HTTP client for what
 * fetch refuses to send, and the outcome tally each suite prints.
 */
import net from 'node:net';

/** Generated cases per category: a short run by default, `FUZZ_CASES=5000` for the full one. */
export const FUZZ_CASES = Number(process.env.FUZZ_CASES ?? 40);
/** True in the long setting: the big files and memory measurements run only then. */
export const FUZZ_FULL = FUZZ_CASES >= 1000;
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261125);

export interface RawResponse {
  /** 0 when the server closed the connection without an answer. */
  status: number;
  headers: string;
  body: string;
}

/**
 * Sends `request` (head and body, exactly these bytes) over a fresh connection and reads the
 * answer until the server closes it. `dribble` sends the bytes one at a time with pauses (a
 * slowloris client) and stops once the server answers or hangs up.
 */
export function rawRequest(
  port: number,
  request: Buffer | string,
  options: { timeoutMs?: number; dribbleMs?: number } = {},
): Promise<RawResponse & { elapsedMs: number }> {
  const bytes = typeof request === 'string' ? Buffer.from(request, 'latin1') : request;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${options.timeoutMs ?? 15_000} ms`));
    }, options.timeoutMs ?? 15_000);
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, headers: head, body: rest.join('\r\n\r\n'), elapsedMs: Date.now() - started });
    };
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => finish());
    socket.on('connect', () => {
      if (!options.dribbleMs) {
        socket.write(bytes);
        return;
      }
      let at = 0;
      const next = () => {
        if (done || socket.destroyed || at >= bytes.length) return;
        socket.write(bytes.subarray(at, at + 1));
        at++;
        setTimeout(next, options.dribbleMs);
      };
      next();
    });
  });
}

/** Outcomes by status code, e.g. `{ 400: 31, 413: 4, 202: 10 }`. */
export class Tally {
  readonly byStatus = new Map<number, number>();
  tried = 0;

  count(status: number): void {
    this.tried++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  summary(label: string): string {
    const histogram = [...this.byStatus]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}:${n}`)
      .join(' ');
    return `${label}: ${this.tried} cases (seed ${FUZZ_SEED}) -> ${histogram}`;
  }
}

/** A short, printable form of a case for failure messages. */
export const preview = (value: string | Buffer, max = 120) => {
  const text = typeof value === 'string' ? value : value.toString('latin1');
  return text.length > max
    ? `${JSON.stringify(text.slice(0, max))}... (${text.length} chars)`
    : JSON.stringify(text);
};
