#!/usr/bin/env bash
# Kafka's kafka-console-producer.sh (the stand-in's, see test/images/README.md).
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512M}"
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.ConsoleProducer "$@"
