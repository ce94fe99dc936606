#!/usr/bin/env bash
# Install what the end-to-end tests run against, from Debian's packages, once: the CNCF
# distribution registry (`docker-registry`) and skopeo, an independent OCI client that
# also checks cosign signatures, for the registry tests; nats-server (JetStream) for the
# distributed workers. The tests start and stop each server themselves, on loopback.
# Needs root (or sudo) and Debian's package mirror.
set -euo pipefail
missing=()
for package in docker-registry skopeo nats-server; do
  command -v "$package" >/dev/null || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "services: installing ${missing[*]}" >&2
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -q "${missing[@]}" >&2 ||
    { "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" apt-get install -y -q "${missing[@]}" >&2; }
fi
