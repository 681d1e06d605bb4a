import pino from 'pino';
import { watchEventLoop } from './event-loop-watch';

function capture() {
  const lines: { level: number; heldMs?: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function hold(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('watchEventLoop', () => {
  test('warns, with how long, when the loop was held past the threshold', async () => {
    const { log, lines } = capture();
    const stop = watchEventLoop(log, { thresholdMs: 300, intervalMs: 50 });
    await sleep(100);
    hold(600);
    await sleep(150);
    stop();
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.heldMs).toBeGreaterThanOrEqual(500);
    expect(warnings[0]!.msg).toMatch(/event loop held/);
  });

  test('says nothing while the loop keeps turning', async () => {
    const { log, lines } = capture();
    // Well above the short holds below, so a busy test machine's hiccup does not count.
    const stop = watchEventLoop(log, { thresholdMs: 1500, intervalMs: 50 });
    for (let i = 0; i < 5; i++) {
      hold(20);
      await sleep(30);
    }
    stop();
    expect(lines).toEqual([]);
  });
});
