#!/bin/bash
# Runs a private rsyslogd (not the system one) that forwards COUNT messages to
# 127.0.0.1:PORT over TLS with its ossl stream driver (Debian's rsyslog-openssl),
# RFC 5425: octet-counted RFC 5424 frames. The server is checked against CA; CERT/KEY
# are the client certificate presented for mutual TLS. Stops the rsyslogd it started.
# usage: rsyslog_tls_fwd.sh PORT COUNT CA CERT KEY
set -e
PORT=$1; N=$2; CA=$3; CERT=$4; KEY=$5
W=$(mktemp -d /tmp/rsyslogtls.XXXX)
cat > $W/rsyslog.conf <<CONF
global(workDirectory="$W" localHostName="rsyslog-tls"
       DefaultNetstreamDriver="ossl"
       DefaultNetstreamDriverCAFile="$CA"
       DefaultNetstreamDriverCertFile="$CERT"
       DefaultNetstreamDriverKeyFile="$KEY")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$W/log.sock" CreatePath="on")
action(type="omfwd" target="127.0.0.1" port="$PORT" protocol="tcp" TCP_Framing="octet-counted"
       template="RSYSLOG_SyslogProtocol23Format"
       StreamDriver="ossl" StreamDriverMode="1" StreamDriverAuthMode="x509/certvalid"
       queue.type="LinkedList" action.resumeRetryCount="-1")
CONF
rsyslogd -N1 -f $W/rsyslog.conf >/dev/null
rsyslogd -f $W/rsyslog.conf -i $W/rsyslogd.pid
sleep 0.5
for i in $(seq 1 "$N"); do echo "rsyslog tls message $i of $N"; done | logger -u $W/log.sock -t rsyslogtls -p local2.info
sleep 2
kill "$(cat $W/rsyslogd.pid)"
sleep 0.3; rm -rf "$W"
