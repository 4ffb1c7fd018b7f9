#!/usr/bin/env bash
# Prepares a Debian machine for Lockne: packages, bpffs, tracefs. Idempotent; run as root.
set -euo pipefail

packages=(
  clang llvm libbpf-dev bpftool linux-libc-dev libelf-dev zlib1g-dev pkg-config gcc make python3
  iproute2 iputils-ping tcpdump iperf3 socat procps util-linux
  wireguard-go wireguard-tools microsocks proxychains4 dnsutils
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# bpffs for pinning, tracefs for tracepoint ids; neither is mounted at boot here.
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
if ! mountpoint -q /sys/kernel/tracing; then
  mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || echo "setup: tracefs not mountable (tracepoint tests will say so)"
fi
echo "setup: ok"
