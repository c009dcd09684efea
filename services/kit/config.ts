/**
 * Service configuration: read from the environment once at start-up, validated, then passed
 * down typed. A missing or wrong variable stops the service with one line naming it.
 */
import { z } from 'zod';
import { callEnvName, SERVICE_ENV } from './env.js';
import { messageOf } from './errors.js';

export interface ServiceNeeds {
  kafka?: boolean;
  postgres?: boolean;
  /** Services it calls: `payment-provider` reads PAYMENT_PROVIDER_URL; with `many`, ORDER_URLS. */
  calls?: readonly { service: string; many?: boolean }[];
}

export interface ServiceConfig {
  service: string;
  instance: string;
  host: string;
  port: number;
  logLevel: string;
  kafka: { brokers: string[]; replicationFactor: number } | undefined;
  databaseUrl: string | undefined;
  /** Base URLs of each called service, e.g. upstreams['order'] = ['http://127.0.0.1:19140', …]. */
  upstreams: Record<string, string[]>;
}

const list = z
  .string()
  .min(1)
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

export class ConfigError extends Error {}

/** Reads a zod-typed object from the environment, naming the variable that is wrong. */
export function readEnv<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(`configuration: ${String(issue.path[0])} ${issue.message}`);
  }
  return result.data;
}

/** A service's settings, or the process ends at once with what is wrong (exit 1): nothing has started yet. */
export function settingsOrExit<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    process.stderr.write(`${messageOf(error)}\n`);
    process.exit(1);
  }
}

export function loadConfig(needs: ServiceNeeds, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const base = readEnv(
    {
      [SERVICE_ENV.service]: z.string().min(1),
      [SERVICE_ENV.instance]: z.string().min(1).optional(),
      [SERVICE_ENV.host]: z.string().default('127.0.0.1'),
      [SERVICE_ENV.port]: z.coerce.number().int().min(0).max(65535),
      [SERVICE_ENV.logLevel]: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    },
    env,
  ) as Record<string, unknown>;
  const config: ServiceConfig = {
    service: base[SERVICE_ENV.service] as string,
    instance: (base[SERVICE_ENV.instance] as string | undefined) ?? (base[SERVICE_ENV.service] as string),
    host: base[SERVICE_ENV.host] as string,
    port: base[SERVICE_ENV.port] as number,
    logLevel: base[SERVICE_ENV.logLevel] as string,
    kafka: undefined,
    databaseUrl: undefined,
    upstreams: {},
  };
  if (needs.kafka) {
    const k = readEnv({ [SERVICE_ENV.kafkaBrokers]: list, [SERVICE_ENV.kafkaReplication]: z.coerce.number().int().min(1).default(1) }, env) as Record<string, unknown>;
    config.kafka = { brokers: k[SERVICE_ENV.kafkaBrokers] as string[], replicationFactor: k[SERVICE_ENV.kafkaReplication] as number };
  }
  if (needs.postgres) {
    config.databaseUrl = (readEnv({ [SERVICE_ENV.databaseUrl]: z.string().startsWith('postgres') }, env) as Record<string, string>)[SERVICE_ENV.databaseUrl];
  }
  for (const call of needs.calls ?? []) {
    const name = callEnvName(call.service, call.many ?? false);
    config.upstreams[call.service] = (readEnv({ [name]: list }, env) as Record<string, string[]>)[name]!;
  }
  return config;
}
