# shellcheck shell=sh
# Sourced by ./mvnw, ./gru-examples and .ci/run: sets and exports JAVA_HOME to a JDK >= 25, or exits
# with a message that says what to install.
# ----------------------------------------------------------------------------
# jgrad: find a JDK >= 25 before anything else. The project targets Java 25 (the current LTS: the foreign-function API and the Vector API);
# machines often have an older default `java` with a newer JDK installed beside it.
# Order: $JAVA_HOME if it is >= 25, then `java` on the PATH, then the newest JDK >= 25
# under the usual install folders. With none, stop with a message that says what to do.
# ----------------------------------------------------------------------------
jgrad_java_major() { # $1 = a JDK home; prints its major version or nothing
  _v=""
  if [ -f "$1/release" ]; then
    _v=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$1/release" 2>/dev/null)
  fi
  if [ -z "$_v" ] && [ -x "$1/bin/java" ]; then
    _v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  fi
  case "$_v" in 1.*) _v=${_v#1.} ;; esac
  printf %s "${_v%%[!0-9]*}"
}
jgrad_find_jdk() {
  if [ -n "${JAVA_HOME-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    _m=$(jgrad_java_major "$JAVA_HOME")
    [ -n "$_m" ] && [ "$_m" -ge 25 ] && return 0
  fi
  if command -v javac >/dev/null 2>&1; then
    _h=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    _m=$(jgrad_java_major "$_h")
    if [ -n "$_m" ] && [ "$_m" -ge 25 ]; then JAVA_HOME=$_h; export JAVA_HOME; return 0; fi
  fi
  _best=""; _bestm=0
  # The wrapper runs with globbing off and the launchers with it on: the search below needs it, and the
  # caller gets back the setting it had (left off, ./gru-examples's check for newer sources saw no module).
  case $- in *f*) _noglob=1 ;; *) _noglob="" ;; esac
  set +f
  for _h in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "${HOME-}"/.sdkman/candidates/java/* \
            "${HOME-}"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$_h/bin/javac" ] || continue
    _m=$(jgrad_java_major "$_h")
    [ -n "$_m" ] || continue
    if [ "$_m" -ge 25 ] && [ "$_m" -gt "$_bestm" ]; then _best=$_h; _bestm=$_m; fi
  done
  if [ -n "$_noglob" ]; then set -f; fi
  if [ -n "$_best" ]; then JAVA_HOME=$_best; export JAVA_HOME; return 0; fi
  echo "jgrad: jgrad needs a JDK 25 or newer, and none was found." >&2
  echo "jgrad: looked at JAVA_HOME (${JAVA_HOME:-unset}), javac on the PATH, and /usr/lib/jvm, /usr/java, /opt, ~/.sdkman, ~/.jdks." >&2
  echo "jgrad: install one (for example Temurin 25: apt-get install temurin-25-jdk, or https://adoptium.net) and set JAVA_HOME to it." >&2
  exit 1
}
jgrad_find_jdk
