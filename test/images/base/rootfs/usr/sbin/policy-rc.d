#!/bin/sh
# Packages installed into an image start no service.
exit 101
