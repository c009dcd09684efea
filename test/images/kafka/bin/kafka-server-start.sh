#!/usr/bin/env bash
# Starts the broker: kafka-server-start.sh [-daemon] server.properties [--override name=value …]
# (the stand-in's, see test/images/README.md). KAFKA_HEAP_OPTS defaults to -Xmx1G -Xms1G here.
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*" >&2
  exit 1
fi
base_dir=$(cd "$(dirname "$0")/.." && pwd)
export KAFKA_LOG4J_OPTS="${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:$base_dir/config/log4j.properties}"
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}"
extra_args=(-name kafkaServer -loggc)
if [ "$1" = -daemon ]; then
  extra_args=(-daemon "${extra_args[@]}")
  shift
fi
exec "$base_dir/bin/kafka-run-class.sh" "${extra_args[@]}" kafka.Kafka "$@"
