#!/usr/bin/env bash
# Install what the registry tests run against, from Debian's packages, once: the CNCF
# distribution registry (`docker-registry`) and skopeo, an independent OCI client that
# also checks cosign signatures. Needs root (or sudo) and Debian's package mirror.
set -euo pipefail
missing=()
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v skopeo >/dev/null || missing+=(skopeo)
if ((${#missing[@]})); then
  echo "registry: installing ${missing[*]}" >&2
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -q "${missing[@]}" >&2 ||
    { "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" apt-get install -y -q "${missing[@]}" >&2; }
fi
