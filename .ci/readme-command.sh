#!/usr/bin/env bash
# Prints the README's set-up command of the given kind ("demo" or "test"): the first line of the
# shell block that follows the marker <!-- command:KIND --> in README.md. CI runs what it prints,
# so the README and CI can never disagree.
set -euo pipefail
kind=${1:?usage: readme-command.sh demo|test}
cd "$(dirname "$0")/.."
command=$(awk -v marker="<!-- command:$kind -->" '
  $0 == marker { found = 1; next }
  found && /^```/ { if (inblock) exit; inblock = 1; next }
  found && inblock { print; exit }' README.md)
if [ -z "$command" ]; then
  echo "readme-command: no <!-- command:$kind --> block in README.md" >&2
  exit 1
fi
echo "$command"
