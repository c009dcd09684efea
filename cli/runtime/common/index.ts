/**
 * What both runtimes share: the members' vocabulary, Kafka's and PostgreSQL's settings as data,
 * and the setup every `up` does on either (the saga's topics, the services' roles and schemas).
 */
export { ensureTopics, toolsKafka } from './kafka-admin.js';
export { brokerSettings, hostNetwork, KAFKA_JVM, KAFKA_LOGGING, type BrokerNetwork } from './kafka-settings.js';
export { MEMBER_ACTIONS, signalName, type MemberAction, type MemberKind, type MemberState, type MemberStatus } from './member.js';
export { bootstrapDatabase, bootstrapSql, POSTGRES_SETTINGS } from './postgres.js';
