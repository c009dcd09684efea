#!/usr/bin/env bash
# Runs a Kafka class on the JVM with the environment Kafka's own script of this name reads
# (Maven Central carries Kafka's jars, not its scripts; this is the stand-in's, see test/images/README.md):
#   kafka-run-class.sh [-daemon] [-name NAME] [-loggc] CLASS [ARGS…]
# KAFKA_HEAP_OPTS (default -Xmx256M), KAFKA_JVM_PERFORMANCE_OPTS (default G1), KAFKA_GC_LOG_OPTS,
# KAFKA_JMX_OPTS and JMX_PORT, KAFKA_LOG4J_OPTS (default config/tools-log4j.properties), LOG_DIR
# (default logs/), KAFKA_OPTS, CLASSPATH (before libs/*), JAVA_HOME.
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] [-name servicename] [-loggc] classname [opts]" >&2
  exit 1
fi
base_dir=$(cd "$(dirname "$0")/.." && pwd)

daemon_name=
daemon_mode=false
gc_log=false
while [ $# -gt 0 ]; do
  case "$1" in
    -name) daemon_name=$2; shift 2 ;;
    -loggc) gc_log=true; shift ;;
    -daemon) daemon_mode=true; shift ;;
    *) break ;;
  esac
done

CLASSPATH="${CLASSPATH:+$CLASSPATH:}$base_dir/libs/*"
LOG_DIR="${LOG_DIR:-$base_dir/logs}"
mkdir -p "$LOG_DIR"

if [ -z "${KAFKA_JMX_OPTS-}" ]; then
  KAFKA_JMX_OPTS="-Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false"
fi
if [ -n "${JMX_PORT-}" ]; then
  KAFKA_JMX_OPTS="$KAFKA_JMX_OPTS -Dcom.sun.management.jmxremote.port=$JMX_PORT"
  if ! [[ "$KAFKA_JMX_OPTS" == *"-Dcom.sun.management.jmxremote.rmi.port="* ]]; then
    KAFKA_JMX_OPTS="$KAFKA_JMX_OPTS -Dcom.sun.management.jmxremote.rmi.port=$JMX_PORT"
  fi
fi
KAFKA_LOG4J_OPTS="-Dkafka.logs.dir=$LOG_DIR ${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:$base_dir/config/tools-log4j.properties}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx256M}"
KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}"
if [ "$gc_log" = true ] && [ -n "$daemon_name" ]; then
  KAFKA_GC_LOG_OPTS="-Xlog:gc*:file=$LOG_DIR/$daemon_name-gc.log:time,tags:filecount=10,filesize=100M"
fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# shellcheck disable=SC2086 # each *_OPTS is a list of JVM options
if [ "$daemon_mode" = true ]; then
  nohup "$java" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS ${KAFKA_GC_LOG_OPTS-} $KAFKA_JMX_OPTS $KAFKA_LOG4J_OPTS \
    -cp "$CLASSPATH" ${KAFKA_OPTS-} "$@" >"$LOG_DIR/${daemon_name:-kafka}.out" 2>&1 </dev/null &
else
  exec "$java" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS ${KAFKA_GC_LOG_OPTS-} $KAFKA_JMX_OPTS $KAFKA_LOG4J_OPTS \
    -cp "$CLASSPATH" ${KAFKA_OPTS-} "$@"
fi
