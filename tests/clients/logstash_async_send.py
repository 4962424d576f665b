#!/usr/bin/env python3
"""Drives python-logstash-async (PyPI) at sluice on loopback.

usage: logstash_async_send.py PORT COUNT tcp|beats
tcp: TcpTransport, one JSON document per line. beats: BeatsTransport (pylogbeat).
The handler's worker queues in memory and flushes in the background; we flush and wait."""
import logging, sys, time
from logstash_async.handler import AsynchronousLogstashHandler
from logstash_async.formatter import LogstashFormatter
from logstash_async.constants import constants

port, count, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
constants.QUEUED_EVENTS_FLUSH_INTERVAL = 0.2
constants.QUEUED_EVENTS_FLUSH_COUNT = 50
transport = {"tcp": "logstash_async.transport.TcpTransport",
             "beats": "logstash_async.transport.BeatsTransport"}[kind]
h = AsynchronousLogstashHandler("127.0.0.1", port, database_path=None, transport=transport, ssl_enable=False)
h.setFormatter(LogstashFormatter(extra={"test_run": kind}, tags=["client-test"]))
log = logging.getLogger("logstash-async-" + kind)
log.setLevel(logging.INFO)
log.addHandler(h)
for i in range(count):
    log.info("logstash-async %s %d", kind, i + 1, extra={"seq": i + 1})
h.flush()
time.sleep(2.0)
h.close()
print('{"sent": %d}' % count)
