#!/usr/bin/env bash
# Kafka's kafka-storage.sh (the stand-in's, see test/images/README.md).
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
