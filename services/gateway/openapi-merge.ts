/**
 * The public API's one OpenAPI document, merged from the documents the upstream services
 * generate from their own route schemas, plus the answers only the gateway gives (rate limited,
 * upstream down or slow, body too large) on every operation, so the document lists every status
 * a client can meet.
 */
export interface OpenApiResponse {
  description: string;
  content?: Record<string, { schema?: unknown }>;
}

export interface OpenApiOperation {
  requestBody?: unknown;
  responses?: Record<string, OpenApiResponse | { $ref: string }>;
  [key: string]: unknown;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  tags?: { name: string; description?: string }[];
  [key: string]: unknown;
}

export interface MergeOptions {
  info: OpenApiDocument['info'];
  /** Answers the gateway may give to any request, by status. */
  everyOperation: Record<string, OpenApiResponse>;
  /** Answers it may give to a request with a body (413), by status. */
  withBody?: Record<string, OpenApiResponse>;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** One document from `sources` (first one wins where two describe the same operation or component). */
export function mergeOpenApi(sources: readonly OpenApiDocument[], options: MergeOptions): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const components: Record<string, Record<string, unknown>> = {};
  const tags = new Map<string, { name: string; description?: string }>();

  for (const source of sources) {
    for (const [path, item] of Object.entries(source.paths ?? {})) {
      const merged = (paths[path] ??= {});
      for (const [key, value] of Object.entries(item)) {
        if (key in merged) continue;
        merged[key] = METHODS.has(key) ? withGatewayAnswers(value as OpenApiOperation, options) : value;
      }
    }
    for (const [kind, entries] of Object.entries(source.components ?? {})) {
      const target = (components[kind] ??= {});
      for (const [name, value] of Object.entries(entries)) if (!(name in target)) target[name] = value;
    }
    for (const tag of source.tags ?? []) if (!tags.has(tag.name)) tags.set(tag.name, tag);
  }

  const sorted = Object.fromEntries(Object.keys(paths).sort().map((p) => [p, paths[p]!]));
  return {
    openapi: '3.0.3',
    info: options.info,
    paths: sorted,
    ...(Object.keys(components).length > 0 ? { components } : {}),
    ...(tags.size > 0 ? { tags: [...tags.values()] } : {}),
  };
}

function withGatewayAnswers(operation: OpenApiOperation, options: MergeOptions): OpenApiOperation {
  const responses = { ...operation.responses };
  const add = (extra: Record<string, OpenApiResponse>) => {
    for (const [status, response] of Object.entries(extra)) responses[status] ??= response;
  };
  add(options.everyOperation);
  if (operation.requestBody !== undefined && options.withBody) add(options.withBody);
  const ordered = Object.fromEntries(Object.keys(responses).sort().map((s) => [s, responses[s]!]));
  return { ...operation, responses: ordered };
}
