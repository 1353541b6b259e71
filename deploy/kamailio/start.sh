#!/usr/bin/env bash
# Starts Kamailio 5.6 with deploy/kamailio/herald.cfg in front of a running heraldd, in the foreground
# (Ctrl-C stops it). Debian 12 packages: kamailio kamailio-utils-modules kamailio-extra-modules.
#
#   bash deploy/kamailio/start.sh --api http://127.0.0.1:8780 --sip 127.0.0.1:5060
#        [--rpc-from 127.0.0.1] [--factory USER] [--trusted-pai-from IP] [--token-file FILE]
#        [--dialog-timeout SECONDS] [--http-timeout SECONDS]
#
#   --api        heraldd's control API (its --control address)
#   --sip        where Kamailio listens for SIP (UDP and TCP); heraldd's --sip-rpc is http://<this>/RPC
#   --rpc-from   the address heraldd's JSON-RPC calls come from (default: the --sip address)
#   --factory    a conference-factory user: INVITE sip:<USER>@<domain> creates an ad-hoc conference
#   --trusted-pai-from  a proxy whose P-Asserted-Identity names the participant (else From does)
#   --token-file heraldd's --token-file, when its API needs a bearer token
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
api=http://127.0.0.1:8780 sip=127.0.0.1:5060 rpc_from="" defines=()
while [ $# -gt 0 ]; do
  case "$1" in
    --api) api=$2 ;;
    --sip) sip=$2 ;;
    --rpc-from) rpc_from=$2 ;;
    --factory) defines+=(-A "FACTORY_USER=\"$2\"") ;;
    --trusted-pai-from) defines+=(-A "TRUSTED_PAI_FROM=\"$2\"") ;;
    --token-file) defines+=(-A "HERALD_AUTH=\"Authorization: Bearer $(tr -d '\r\n' <"$2")\"") ;;
    --dialog-timeout) defines+=(-A "DLG_TIMEOUT=$2") ;;
    --http-timeout) defines+=(-A "HTTP_TIMEOUT=$2") ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
  esac
  shift 2
done
ip=${sip%:*} port=${sip##*:}
[ -n "$rpc_from" ] || rpc_from=$ip
kamailio=${KAMAILIO:-$(command -v kamailio || echo /usr/sbin/kamailio)}
[ -x "$kamailio" ] || { echo "kamailio not found: apt-get install kamailio kamailio-utils-modules kamailio-extra-modules" >&2; exit 1; }
rundir=$(mktemp -d /tmp/herald-kamailio-XXXXXX)
exec "$kamailio" -DD -E -f "$here/herald.cfg" -Y "$rundir" -P "$rundir/kamailio.pid" -m 64 -M 8 \
  -A "SIP_IP=$ip" -A "SIP_PORT=$port" -A "HERALD_API=\"$api\"" -A "RPC_FROM=\"$rpc_from\"" "${defines[@]}"
