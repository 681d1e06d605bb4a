import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';

/** An Avro schema as JSON (a primitive type name, or a record/enum/... definition). */
export type AvroSchema = avro.Schema;

/** Reads `schemas/<name>.avsc`, so schemas live as files reviewers can diff. */
export function loadSchema(name: string, dir = schemaDirectory()): AvroSchema {
  const file = path.join(dir, `${name}.avsc`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as AvroSchema;
  } catch (error) {
    throw new Error(`cannot load Avro schema ${file}: ${(error as Error).message}`);
  }
}

/** The `schemas/` folder of the project, from the TypeScript sources or from the build in dist/. */
export function schemaDirectory(): string {
  // Works both from the TypeScript sources (schemas/avro.ts) and the build (dist/schemas/avro.js).
  const here = __dirname;
  return here.endsWith(`${path.sep}dist${path.sep}schemas`)
    ? path.resolve(here, '..', '..', 'schemas')
    : here;
}

const typeCache = new Map<string, avro.Type>();

/** Parsed avsc type for a schema, cached by its JSON text. */
export function avroType(schema: AvroSchema): avro.Type {
  const text = JSON.stringify(schema);
  let type = typeCache.get(text);
  if (!type) {
    // Logical types we use (timestamp-millis) decode to numbers; keeping plain numbers avoids Date
    // objects leaking into processors and sinks.
    type = avro.Type.forSchema(schema, { wrapUnions: false });
    typeCache.set(text, type);
  }
  return type;
}

/** Canonical-form SHA-256 fingerprint, equal for schemas that differ only in docs and formatting. */
export function fingerprint(schema: AvroSchema): string {
  return avroType(schema).fingerprint('sha256').toString('hex');
}

export interface CompatibilityResult {
  compatible: boolean;
  reason?: string;
}

/**
 * BACKWARD compatibility as the Confluent registry defines it: consumers using the new schema can
 * read data written with the old one.
 */
export function checkBackward(newSchema: AvroSchema, oldSchema: AvroSchema): CompatibilityResult {
  try {
    avroType(newSchema).createResolver(avroType(oldSchema));
    return { compatible: true };
  } catch (error) {
    return { compatible: false, reason: (error as Error).message };
  }
}

/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro binary. */
export const wire = {
  encode(schemaId: number, payload: Buffer): Buffer {
    const header = Buffer.alloc(5);
    header.writeUInt8(0, 0);
    header.writeInt32BE(schemaId, 1);
    return Buffer.concat([header, payload]);
  },
  /** Splits a wire-format buffer; throws a precise error for anything else. */
  decode(buffer: Buffer): { schemaId: number; payload: Buffer } {
    if (buffer.length < 5)
      throw new WireFormatError(`record of ${buffer.length} bytes is too short for the wire format`);
    const magic = buffer.readUInt8(0);
    if (magic !== 0) throw new WireFormatError(`unknown magic byte ${magic} (expected 0)`);
    return { schemaId: buffer.readInt32BE(1), payload: buffer.subarray(5) };
  },
};

export class WireFormatError extends Error {
  override name = 'WireFormatError';
}
