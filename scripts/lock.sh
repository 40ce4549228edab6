#!/usr/bin/env bash
# Regenerate the lock files from pyproject.toml (docs/deploy.md, "Dependencies and lock files"):
#
#   requirements.lock       the server's runtime set, every file's sha256 (the Dockerfile installs it
#                           with --require-hashes)
#   requirements-test.lock  the runtime set plus the `test` extra, the same versions (.ci/run installs
#                           with it as constraints: pip install -c requirements-test.lock -e '.[test]')
#
# Run it after changing a dependency in pyproject.toml, with the Python the lock is for (3.11,
# as in the Dockerfile and CI): PYTHON=python3.11 scripts/lock.sh. pip-tools runs in a throwaway
# virtual environment, never the project's. Versions come from PyPI (LOCK_INDEX_URL to use another
# index); pip configuration of the machine (extra indexes, find-links) is ignored, so that the
# lock does not depend on the machine that wrote it.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
INDEX_URL=${LOCK_INDEX_URL:-https://pypi.org/simple}
PIP_TOOLS_VERSION=${PIP_TOOLS_VERSION:-7.6.2}

export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_CONSTRAINT

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
"$PYTHON" -m venv "$tools/venv"
"$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --index-url "$INDEX_URL" "pip-tools==$PIP_TOOLS_VERSION"

compile() {
  # --strip-extras: a constraints file may not name extras. --allow-unsafe: pin setuptools and
  # pip too when something needs them. No index or find-links lines: the files are portable.
  "$tools/venv/bin/pip-compile" --quiet --strip-extras --allow-unsafe \
    --index-url "$INDEX_URL" --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
    --newline=LF "$@" pyproject.toml
}

# The runtime set first; the test set is constrained to its versions, so CI tests what ships.
compile --generate-hashes --output-file requirements.lock
compile --extra test --constraint requirements.lock --output-file requirements-test.lock
echo "wrote requirements.lock and requirements-test.lock"
