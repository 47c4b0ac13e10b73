# Shared by tests/packaging/run and tests/boot/run: print every check as it is
# made, keep count, and copy the source tree for a build that must not touch it.
# shellcheck shell=bash

checks_passed=0
checks_failed=0

# check_equal NAME EXPECTED ACTUAL: passes when the two texts are identical;
# on failure prints a unified diff (expected first).
check_equal() {
  local name=$1 expected=$2 actual=$3
  if [ "$expected" == "$actual" ]; then
    pass "$name"
  else
    echo "FAIL $name"
    diff -u --label expected --label actual <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") | sed 's/^/    /' || true
    checks_failed=$((checks_failed + 1))
  fi
}

# check NAME COMMAND...: passes when COMMAND exits 0.
check() {
  local name=$1
  shift
  if "$@" >/dev/null 2>&1; then
    pass "$name"
  else
    local command="$*"
    [ ${#command} -le 120 ] || command="${command:0:117}..."
    echo "FAIL $name (command failed: $command)"
    checks_failed=$((checks_failed + 1))
  fi
}

# pass NAME: a check the caller made itself.
pass() {
  echo "PASS $1"
  checks_passed=$((checks_passed + 1))
}

# fail NAME REASON: a check that failed or could not even be made.
fail() {
  echo "FAIL $1 ($2)"
  checks_failed=$((checks_failed + 1))
}

# finish: prints the totals and exits 1 if any check failed.
finish() {
  echo "$checks_passed passed, $checks_failed failed"
  [ "$checks_failed" -eq 0 ]
  exit $?
}

# copy_tree SRC DEST: the tracked and untracked-but-not-ignored files of the
# git tree SRC (so uncommitted work is tested, build directories are not).
copy_tree() {
  mkdir -p "$2"
  (cd "$1" && git ls-files -co --exclude-standard -z |
    while IFS= read -r -d '' f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done |
    xargs -0 cp -P --parents -t "$2")
}

# project_version TOP: the version in CMakeLists.txt's project().
project_version() {
  sed -n 's/^project(kindling VERSION \([0-9.]*\).*/\1/p' "$1/CMakeLists.txt"
}
