import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Database, type DatabaseConfig, dropSchema, openDatabase } from '../../sinks/postgres/database';
import { databaseUrl, postgresGate } from '../support/services';

/**
 * The databases the sink is tested on: PGlite always, PostgreSQL when it is reachable (and
 * always in CI, where a missing server fails the suite). Each test gets its own database: a
 * fresh PGlite directory, or its own schema on the shared PostgreSQL, dropped afterwards.
 */
export interface DatabaseChoice {
  kind: 'pglite' | 'postgres';
  gate: { run: boolean; reason?: string };
  open(): Promise<TestDatabase>;
}

export interface TestDatabase {
  db: Database;
  /** How to open this database again (after closing it), e.g. from a child process. */
  config: DatabaseConfig;
  dispose(): Promise<void>;
}

export function databasesUnderTest(): DatabaseChoice[] {
  return [
    { kind: 'pglite', gate: { run: true }, open: openTestPglite },
    { kind: 'postgres', gate: postgresGate(), open: () => openTestPostgres(databaseUrl) },
  ];
}

export const uniqueSchema = () => `lf_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

/** A test schema on PostgreSQL reached through `url` (e.g. a proxy in front of the server). */
export async function openTestPostgres(url: string): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-pg-test-'));
  const config: DatabaseConfig = { DATABASE_URL: url, dataDir, schema: uniqueSchema() };
  const db = await openDatabase(config);
  return {
    db,
    config,
    async dispose() {
      await db.close().catch(() => undefined);
      await dropSchema(databaseUrl, config.schema!);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// Creating a PGlite cluster (initdb) takes seconds; opening a copy of a migrated one is quick.
let template: Promise<string> | undefined;

async function pgliteTemplate(): Promise<string> {
  template ??= (async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-pglite-template-'));
    await (await openDatabase({ dataDir })).close();
    return dataDir;
  })();
  return template;
}

/** A new data dir holding a migrated PGlite database. */
export async function pgliteDataDir(): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-pglite-test-'));
  fs.cpSync(await pgliteTemplate(), dataDir, { recursive: true });
  return dataDir;
}

async function openTestPglite(): Promise<TestDatabase> {
  const dataDir = await pgliteDataDir();
  const config: DatabaseConfig = { dataDir };
  const db = await openDatabase(config);
  return {
    db,
    config,
    async dispose() {
      await db.close().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function removePgliteTemplate(): Promise<void> {
  const dir = await template;
  template = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * A TCP proxy on loopback in front of PostgreSQL, to cut the database off (refusing and dropping
 * connections, as a server that went down does) and bring it back.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<this> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Stops accepting connections and drops the open ones. */
  async cut(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.server = undefined;
  }

  /** Listens again on the same port. */
  restore(): Promise<this> {
    return this.start();
  }

  url(base: string): string {
    const url = new URL(base);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }
}
