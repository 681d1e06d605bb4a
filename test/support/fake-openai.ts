/**
 * An OpenAI-compatible HTTP server on loopback for tests: `POST /v1/chat/completions` and
 * `POST /v1/embeddings`, answering as the test tells it (good tool calls, garbage, 429s, 500s,
 * silence). It is the one stand-in in the suite: no LLM can run on the test machines.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour =
  | { kind: 'tool'; arguments: unknown }
  | { kind: 'garbage' }
  | { kind: 'no_tool' }
  | { kind: 'status'; status: number; retryAfterMs?: number }
  | { kind: 'hang'; ms: number };

export const GOOD_ANSWER = {
  line: 'auto',
  intent: 'switching',
  urgency: 'soon',
  explanation: 'Insured driver comparing prices before the renewal next month.',
  extracted: {
    currentInsurer: 'GEICO',
    policyExpiry: '2025-07-01',
    desiredStartDate: null,
    vehiclesMentioned: 1,
    householdSize: null,
    preferredContactTime: null,
    language: null,
  },
};

export interface FakeOpenAi {
  baseUrl: string;
  /** Requests received, by path, with their parsed bodies. */
  requests: { path: string; body: Record<string, unknown> }[];
  /** Answers for the next chat requests, in order; when empty, `fallback` answers. */
  queue: Behaviour[];
  fallback: Behaviour;
  close(): Promise<void>;
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const requests: FakeOpenAi['requests'] = [];
  const fake: Omit<FakeOpenAi, 'baseUrl' | 'close'> = {
    requests,
    queue: [],
    fallback: { kind: 'tool', arguments: GOOD_ANSWER },
  };
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      const body = JSON.parse(text || '{}') as Record<string, unknown>;
      const path = req.url ?? '';
      requests.push({ path, body });
      const json = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(payload));
      };
      if (path === '/v1/embeddings') {
        const inputs = body.input as string[];
        json(200, {
          object: 'list',
          model: body.model,
          data: inputs.map((input, index) => ({
            object: 'embedding',
            index,
            embedding: Array.from({ length: 8 }, (_, i) => ((input.length * (i + 1)) % 7) / 7 + 0.01),
          })),
          usage: { prompt_tokens: inputs.length * 10, total_tokens: inputs.length * 10 },
        });
        return;
      }
      if (path !== '/v1/chat/completions') {
        json(404, { error: { message: 'not found' } });
        return;
      }
      const behaviour = fake.queue.shift() ?? fake.fallback;
      const completion = (message: Record<string, unknown>) => ({
        id: 'chatcmpl-test',
        object: 'chat.completion',
        created: 0,
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: null, ...message },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 420, completion_tokens: 60, total_tokens: 480 },
      });
      const toolCall = (args: string) =>
        completion({
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'record_lead_insights', arguments: args } },
          ],
        });
      switch (behaviour.kind) {
        case 'tool':
          json(200, toolCall(JSON.stringify(behaviour.arguments)));
          return;
        case 'garbage':
          json(200, toolCall('{"line": "auto", "intent": sure thing'));
          return;
        case 'no_tool':
          json(200, completion({ content: 'This lead looks great!' }));
          return;
        case 'status':
          json(
            behaviour.status,
            { error: { message: `status ${behaviour.status}`, type: 'test' } },
            behaviour.retryAfterMs === undefined ? {} : { 'retry-after-ms': String(behaviour.retryAfterMs) },
          );
          return;
        case 'hang':
          setTimeout(() => json(200, toolCall(JSON.stringify(GOOD_ANSWER))), behaviour.ms);
          return;
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  }) as FakeOpenAi;
}
