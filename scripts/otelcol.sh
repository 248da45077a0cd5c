#!/usr/bin/env bash
# A minimal OpenTelemetry Collector for the docs/shipping.md recipes and their integration test.
#
# Built with the official builder (go.opentelemetry.io/collector/cmd/builder, from the Go module proxy)
# from the manifest below: filelog receiver, otlp receiver, transform and batch processors, kafka and
# otlphttp exporters. The binary is cached in $ERRORSCOPE_CACHE/bin/otelcol-errorscope-<version>, so only
# the first run builds anything (it takes minutes). Needs Go 1.24+.
#
#   scripts/otelcol.sh build   build once (no-op when cached); prints the binary's path
#   scripts/otelcol.sh path    print the binary's path; exit 1 when it is not built
#
# Environment: OTELCOL_VERSION (default 0.155.0), ERRORSCOPE_CACHE (default ~/.cache/errorscope).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION="${OTELCOL_VERSION:-0.155.0}"
BIN="$CACHE/bin/otelcol-errorscope-$VERSION"

find_bin() { [[ -x "$BIN" ]] && echo "$BIN"; }

build() {
  need go "go not found: install Go 1.24+ to build the Collector"
  local work="$CACHE/otelcol-build-$VERSION"
  mkdir -p "$work"
  say "installing the builder v$VERSION"
  GOBIN="$work" go install "go.opentelemetry.io/collector/cmd/builder@v$VERSION"
  cat >"$work/manifest.yaml" <<MANIFEST
dist:
  name: otelcol-errorscope
  description: errorscope's minimal OpenTelemetry Collector (docs/shipping.md recipes)
  output_path: $work/dist
receivers:
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver v$VERSION
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver v$VERSION
processors:
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/processor/transformprocessor v$VERSION
  - gomod: go.opentelemetry.io/collector/processor/batchprocessor v$VERSION
exporters:
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter v$VERSION
  - gomod: go.opentelemetry.io/collector/exporter/otlphttpexporter v$VERSION
MANIFEST
  say "building the Collector (this takes several minutes the first time)"
  # The builder's own `go mod tidy` also resolves the test-only dependencies of every component, and
  # some of those (contrib's pkg/golden) are not served by every module proxy: generate the sources
  # only, tidy tolerating missing test dependencies, then build.
  "$work/builder" --config "$work/manifest.yaml" --skip-get-modules --skip-compilation
  (
    cd "$work/dist"
    go mod tidy -e
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o otelcol-errorscope .
  )
  install_bin "$work/dist/otelcol-errorscope" "$BIN"
}

go_tool_main "$@"
