/**
 * How the API answers when something is wrong: one JSON shape, `{ error, message }` plus
 * `problems` (field, stable code, message) for invalid input. Internal details never reach the
 * client, and request bodies (phones, emails) never reach the logs.
 */
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { type InputError, toInputError } from '../schemas/lead';

/** An answer other than success, thrown from hooks and handlers. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Input that failed its schema; answered 400 with every problem. */
export class InvalidRequestError extends Error {
  override name = 'InvalidRequestError';
  constructor(readonly problems: InputError[]) {
    super(`invalid request: ${problems.map((p) => p.field || '(body)').join(', ')}`);
  }
}

/**
 * Issues raised by the lead schema already carry their field-level error (see `leadBody`); the
 * issue's path then locates the lead in the request (e.g. leads.3 of a batch).
 */
export interface LeadProblemParams {
  problem: InputError;
}

function problemOf(issue: z.core.$ZodIssue): InputError {
  const carried =
    issue.code === 'custom' ? (issue.params as Partial<LeadProblemParams> | undefined)?.problem : undefined;
  if (!carried) return toInputError(issue);
  const field = [...issue.path.map(String), ...(carried.field ? [carried.field] : [])].join('.');
  return { ...carried, field };
}

/**
 * Validates route schemas with zod. Unlike the type provider's own compiler, it parses a failing
 * input a second time with its inputs reported, to tell a missing field from a wrong one.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const detailed = schema.safeParse(data, { reportInput: true });
    const issues = detailed.success ? result.error.issues : detailed.error.issues;
    return { error: new InvalidRequestError(issues.map(problemOf)) };
  };

export const problemSchema = z.object({
  field: z
    .string()
    .meta({ description: 'Dotted path of the field, e.g. contact.phone; empty for the body.' }),
  code: z
    .string()
    .meta({ description: 'Stable machine-readable code, e.g. required, invalid_type, too_long.' }),
  message: z.string(),
});

export const errorSchema = z
  .looseObject({
    error: z.string().meta({ description: 'Stable error code, e.g. invalid_lead, missing_credentials.' }),
    message: z.string().optional(),
    problems: z.array(problemSchema).optional(),
  })
  .meta({ id: 'Error' });

/** The error answers routes document (the body is always `errorSchema`). */
export function errorResponses(...codes: number[]): Record<number, typeof errorSchema> {
  return Object.fromEntries(codes.map((code) => [code, errorSchema]));
}

export function handleError(error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ApiError) {
    return reply
      .code(error.statusCode)
      .headers(error.headers)
      .send({ error: error.error, message: error.message, ...error.extra });
  }
  if (error instanceof InvalidRequestError) {
    const code =
      (error as InvalidRequestError & { validationContext?: string }).validationContext === 'body'
        ? (request.routeOptions.config.invalidInputError ?? 'invalid_request')
        : 'invalid_request';
    return reply
      .code(400)
      .send({ error: code, message: 'the request has invalid fields', problems: error.problems });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return reply.code(415).send({
        error: 'unsupported_media_type',
        message: `content type ${JSON.stringify(request.headers['content-type'] ?? '')} is not accepted here`,
      });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return reply.code(413).send({
        error: 'body_too_large',
        message: `the body is larger than ${request.routeOptions.bodyLimit ?? 'the limit'} bytes`,
      });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return reply.code(400).send({ error: 'invalid_json', message: 'the body is not valid JSON' });
    case 'FST_REQ_FILE_TOO_LARGE':
      return reply.code(413).send({ error: 'file_too_large', message: error.message });
  }
  const status = error.statusCode ?? 500;
  if (status >= 500) {
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(status)
      .send({ error: 'internal_error', message: 'the request failed; it can be retried' });
  }
  return reply.code(status).send({ error: 'bad_request', message: error.message });
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply) {
  return reply
    .code(404)
    .send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The `error` of a 400 for this route's invalid input (default invalid_request). */
    invalidInputError?: string;
  }
}
