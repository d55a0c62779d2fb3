#!/usr/bin/env bash
# Runs Parley's JMH micro-benchmarks: scripts/bench-jmh.sh [JMH ARGS], e.g. ChatTemplateRender -f 1 -wi 3 -i 5
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"
parley_find_java
"$here/scripts/fetch-natives.sh" >/dev/null
(cd "$here" && mvn -B -q --no-transfer-progress -DskipTests -pl bench -am package)
exec java --enable-native-access=ALL-UNNAMED -cp "$here/bench/target/classes:$here/bench/target/lib/*" org.openjdk.jmh.Main "$@"
