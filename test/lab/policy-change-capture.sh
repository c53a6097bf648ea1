#!/bin/sh
# Makes the before / after pairs under test/fixtures/policy/change/ by running the real tools (iptables, nft, ufw)
# inside a throw-away network namespace: never in the root namespace, and the namespace is deleted at the end.
# Run by hand as root on Debian 12:  sh test/lab/policy-change-capture.sh test/fixtures/policy/change
# `ip netns exec` gives each step a private mount namespace, so ufw works on a bind-mounted copy of /etc/ufw.
set -eu
OUT=$(realpath "$1")
N="odchg$$"
WORK=$(mktemp -d)
cleanup() {
  ip netns del "$N" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
ip netns add "$N"
in_ns() { ip netns exec "$N" "$@"; }
mkdir -p "$OUT/iptables" "$OUT/nftables" "$OUT/ufw"

# ---- iptables (iptables-nft 1.8.9): a base allow list, then one change per capture ----
ipt_base() {
  in_ns iptables -F INPUT
  in_ns iptables -P INPUT "$1"
  in_ns iptables -A INPUT -i lo -j ACCEPT
  in_ns iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  in_ns iptables -A INPUT -p tcp --dport 22 -j ACCEPT
  for r in 173.245.48.0/20 103.21.244.0/22 103.22.200.0/22 103.31.4.0/22 141.101.64.0/18 108.162.192.0/18 \
    190.93.240.0/20 188.114.96.0/20 197.234.240.0/22 198.41.128.0/17 162.158.0.0/15 104.16.0.0/13 \
    104.24.0.0/14 172.64.0.0/13 131.0.72.0/22; do
    in_ns iptables -A INPUT -s "$r" -p tcp -m multiport --dports 80,443 -j ACCEPT
  done
}
save() { in_ns iptables-save | grep -v '^#' > "$OUT/iptables/$1"; }

ipt_base DROP
save base.save
# A DROP inserted above the allow list (position 4: after lo, established and SSH).
in_ns iptables -I INPUT 4 -s 173.245.48.0/24 -j DROP
save drop-inserted.save
ipt_base DROP
# One provider range deleted.
in_ns iptables -D INPUT -s 103.21.244.0/22 -p tcp -m multiport --dports 80,443 -j ACCEPT
save range-deleted.save
ipt_base DROP
# A per-source limit added in front of the allow list.
in_ns iptables -I INPUT 4 -p tcp --dport 443 -m hashlimit --hashlimit-above 20/sec --hashlimit-burst 40 \
  --hashlimit-mode srcip --hashlimit-name web -j DROP
save limit-added.save
ipt_base DROP
# A harmless change: SSH opened to one more office network.
in_ns iptables -I INPUT 4 -s 192.0.2.0/24 -p tcp --dport 2222 -j ACCEPT
save ssh-added.save
# A rule moved: a DROP for one /24 at the end (shadowed, harmless), then moved to the top.
ipt_base DROP
in_ns iptables -A INPUT -s 103.21.244.0/24 -p tcp -j DROP
save move-before.save
in_ns iptables -D INPUT -s 103.21.244.0/24 -p tcp -j DROP
in_ns iptables -I INPUT 1 -s 103.21.244.0/24 -p tcp -j DROP
save move-after.save
# A chain policy changed: an allow list for two ranges only, under an ACCEPT policy, then the policy set to DROP.
in_ns iptables -F INPUT
in_ns iptables -P INPUT ACCEPT
in_ns iptables -A INPUT -i lo -j ACCEPT
in_ns iptables -A INPUT -p tcp --dport 22 -j ACCEPT
in_ns iptables -A INPUT -s 173.245.48.0/20 -p tcp -m multiport --dports 80,443 -j ACCEPT
in_ns iptables -A INPUT -s 103.21.244.0/22 -p tcp -m multiport --dports 80,443 -j ACCEPT
save policy-accept.save
in_ns iptables -P INPUT DROP
save policy-drop.save
# The dry run: a file about to be loaded (the base with a DROP added after the SSH rule, as someone would edit
# /etc/iptables/rules.v4), checked by iptables-restore itself (--test: parsed, not committed).
{
  echo '# /etc/iptables/rules.v4 as edited, before `iptables-restore < rules.v4`'
  sed '/--dport 22 -j ACCEPT/a -A INPUT -s 173.245.48.0/24 -p tcp -m tcp --dport 443 -j DROP' "$OUT/iptables/base.save"
} > "$OUT/iptables/drop-inserted.restore"
in_ns iptables-restore --test "$OUT/iptables/drop-inserted.restore"
in_ns iptables -P INPUT ACCEPT
in_ns iptables -F

# ---- nftables 1.0.6: the same base as a script, changes with nft commands ----
nft_base() {
  in_ns nft -f "$OUT/nftables/base.nft.src"
}
list() { in_ns nft list ruleset > "$OUT/nftables/$1"; }
nft_base
list base.nft
h=$(in_ns nft -a list chain inet filter input | sed -n 's/.*173\.245\.48\.0\/20 tcp dport { 80, 443 } accept # handle \([0-9]*\)/\1/p')
in_ns nft insert rule inet filter input position "$h" ip saddr 173.245.48.0/24 drop
list drop-inserted.nft
nft_base
h=$(in_ns nft -a list chain inet filter input | sed -n 's/.*103\.21\.244\.0\/22 tcp dport { 80, 443 } accept # handle \([0-9]*\)/\1/p')
in_ns nft delete rule inet filter input handle "$h"
list range-deleted.nft
nft_base
in_ns nft add rule inet filter input ip saddr 192.0.2.0/24 tcp dport 2222 accept
list ssh-added.nft
nft_base
in_ns nft chain inet filter input '{ policy accept ; }'
list policy-accept.nft
# The dry run: the script about to be loaded with `nft -f` (the base with a DROP above the allow list), checked by
# nft itself (-c: parsed and validated against the kernel, not committed).
sed 's|^\t\tip saddr 173.245.48.0/20 tcp|\t\tip saddr 173.245.48.0/24 tcp dport 443 drop\n&|' \
  "$OUT/nftables/base.nft.src" > "$OUT/nftables/drop-inserted.nft.src"
in_ns nft -c -f "$OUT/nftables/drop-inserted.nft.src"
in_ns nft flush ruleset

# ---- ufw 0.36.2 on a copy of /etc/ufw ----
cp -a /etc/ufw "$WORK/ufw"
cat > "$WORK/ufw-steps.sh" <<'EOF'
set -e
mount --bind "$1" /etc/ufw
OUT="$2"
base() {
  ufw --force reset >/dev/null
  ufw default deny incoming >/dev/null
  ufw default allow outgoing >/dev/null
  ufw --force enable >/dev/null
  ufw allow 22/tcp >/dev/null
  for r in 173.245.48.0/20 103.21.244.0/22 103.22.200.0/22 141.101.64.0/18; do
    ufw allow proto tcp from "$r" to any port 80,443 >/dev/null
  done
}
base
ufw status verbose > "$OUT/base.txt"
ufw insert 1 deny from 173.245.48.0/24 >/dev/null
ufw status verbose > "$OUT/drop-inserted.txt"
base
ufw delete allow proto tcp from 103.21.244.0/22 to any port 80,443 >/dev/null
ufw status verbose > "$OUT/range-deleted.txt"
base
ufw insert 1 limit 443/tcp >/dev/null
ufw status verbose > "$OUT/limit-added.txt"
base
ufw allow from 192.0.2.0/24 to any port 2222 proto tcp >/dev/null
ufw status verbose > "$OUT/ssh-added.txt"
base
ufw default allow incoming >/dev/null
ufw status verbose > "$OUT/policy-allow.txt"
ufw --force reset >/dev/null
EOF
in_ns sh "$WORK/ufw-steps.sh" "$WORK/ufw" "$OUT/ufw"
echo "captured under $OUT"
