"""The OpenTelemetry route: a Collector configuration that receives a framework's spans over OTLP and writes them
in the ``otlp-json`` format ``python -m voicelab analyze`` reads (the file exporter of ``otelcol-contrib``: one
``ExportTraceServiceRequest`` per line, ids in hex).

Run ``otelcol-contrib --config collector.yaml`` with :data:`COLLECTOR_CONFIG` saved as ``collector.yaml``, point
the agent's ``OTLPSpanExporter`` at ``http://127.0.0.1:4318/v1/traces``, then ``python -m voicelab analyze
spans.jsonl``.
"""

from __future__ import annotations

#: A complete Collector configuration: OTLP in (HTTP 4318, gRPC 4317, this machine only), OTLP JSON lines out.
COLLECTOR_CONFIG = """\
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:4318
      grpc:
        endpoint: 127.0.0.1:4317
processors:
  batch: {}
exporters:
  file:
    path: ./spans.jsonl
    format: json
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [file]
"""
