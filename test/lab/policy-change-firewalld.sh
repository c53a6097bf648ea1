#!/bin/sh
# firewalld before/after pairs from firewall-offline-cmd (firewalld 1.3.3, no daemon, no D-Bus): run in a private
# mount namespace with a tmpfs over /etc/firewalld, so the host's configuration is never touched.
# usage: unshare -m sh capture.sh OUTDIR
set -eu
out=$1
mkdir -p "$out"
mount --make-rprivate /
mount -t tmpfs odchg /etc/firewalld
fw() { firewall-offline-cmd "$@" >/dev/null 2>&1; }
list() { firewall-offline-cmd --zone=public --list-all 2>/dev/null > "$out/$1"; }
base() {
  rm -rf /etc/firewalld/zones; mkdir -p /etc/firewalld/zones
  fw --zone=public --remove-service-from-zone=dhcpv6-client
  fw --zone=public --add-service=ssh
  for r in 173.245.48.0/20 103.21.244.0/22 103.22.200.0/22 141.101.64.0/18; do
    fw --zone=public --add-rich-rule="rule family=ipv4 source address=$r port port=443 protocol=tcp accept"
  done
}
base; list base.txt
base; fw --zone=public --add-rich-rule='rule priority=-10 family=ipv4 source address=173.245.48.0/24 drop'; list drop-inserted.txt
base; fw --zone=public --remove-rich-rule='rule family=ipv4 source address=103.21.244.0/22 port port=443 protocol=tcp accept'; list range-deleted.txt
base; fw --zone=public --add-rich-rule='rule family=ipv4 source address=192.0.2.0/24 port port=2222 protocol=tcp accept'; list ssh-added.txt
base; fw --zone=public --set-target=ACCEPT; list target-accept.txt
