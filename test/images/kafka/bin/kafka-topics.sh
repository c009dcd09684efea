#!/usr/bin/env bash
# Kafka's kafka-topics.sh (the stand-in's, see test/images/README.md).
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.TopicCommand "$@"
