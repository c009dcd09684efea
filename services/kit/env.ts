/**
 * The environment variables every runtime sets for a service (the one list both runtimes and
 * services/kit agree on). A leaf module: the lab's stack definition imports it too.
 */
export const SERVICE_ENV = {
  service: 'SERVICE_NAME',
  instance: 'SERVICE_INSTANCE',
  host: 'HTTP_HOST',
  port: 'HTTP_PORT',
  logLevel: 'LOG_LEVEL',
  kafkaBrokers: 'KAFKA_BROKERS',
  kafkaReplication: 'KAFKA_REPLICATION_FACTOR',
  databaseUrl: 'DATABASE_URL',
} as const;

/** `<SERVICE>_URL` (one instance) or `<SERVICE>_URLS` (a scalable service): where a callee answers. */
export function callEnvName(service: string, many: boolean): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_${many ? 'URLS' : 'URL'}`;
}
