#!/usr/bin/env bash
# The tools the ops tier (tests/ops) and the browser tests need, installed when missing.
#   promtool, prometheus  Debian's `prometheus`: rules, their unit tests, /metrics; a real server
#   docker-compose        Debian's `docker-compose`: `docker-compose config` (no Docker engine needed)
#   chromium              Debian's `chromium`: the real browser the browser tests drive with Playwright
#   kubectl               its built-in kustomize renders deploy/k8s; it comes with the machine image.
#                         Debian's kubernetes-client (1.20) is no substitute: its kustomize (v2)
#                         knows no components.
# `make tools` runs this and `make test` runs `make tools`: when everything is there it only looks.
set -euo pipefail

missing=()
{ command -v promtool && command -v prometheus; } >/dev/null || missing+=(prometheus)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v chromium >/dev/null || missing+=(chromium)

if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing: ${missing[*]}. Install with: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "[iec] installing ${missing[*]} from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  # Without recommends: docker-compose would bring a whole Docker engine, prometheus its exporters.
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

if ! kubectl kustomize --help >/dev/null 2>&1; then
  echo "kubectl (with kustomize v4 or later built in) is needed to render deploy/k8s; install it from" \
       "the Kubernetes project's packages" >&2
  exit 1
fi
