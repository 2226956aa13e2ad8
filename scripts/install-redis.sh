#!/usr/bin/env bash
# Installs Debian's redis-server for the queue tests (`--queue`, `convscope worker`): the tests
# start their own server on a free loopback port, so none is started or enabled here. Does
# nothing when redis-server is already on the PATH.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server: $(redis-server --version)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server
redis-server --version
