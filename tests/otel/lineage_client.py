"""Emit a fine-tuning pipeline's lineage with the real OpenLineage Python client.

Used by tests/all/lineage.rs, and run once by hand to write
tests/fixtures/openlineage.jsonl (`--file` to a new file: the transport appends). The events are the client's own RunEvents,
sent by its own transports: `--url` (HttpTransport, `POST {url}/api/v1/lineage`, with
`--api-key` as `Authorization: Bearer`) and/or `--file` (FileTransport, one event a
line, appended). The pipeline, each run a START then a COMPLETE:

  train        support-tickets@r1 (batches b-001, b-002)          -> support-assistant 1.0
  fine-tune    base support-assistant 1.0 + support-feedback@f1   -> support-assistant 1.1
  train        support-tickets@r2 (all of it)                     -> support-assistant 1.2

1.0 and 1.1 carry their version in the `aiir_model` facet, 1.2 in the standard `version`
facet only. Prints one JSON object on stdout, run name -> run id, so the test can
match what aiir kept. Exits 1 when an event cannot be sent.

    python lineage_client.py --url http://127.0.0.1:4318 --api-key TOKEN --file lineage.jsonl
"""

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone

import attr
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import DatasetFacet, InputDatasetFacet, dataset_version_dataset
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport
from openlineage.client.uuid import generate_new_uuid

PRODUCER = "https://example.invalid/aiir/tests/otel/lineage_client.py"
NAMESPACE = "ml-platform"
SCHEMA = "https://example.invalid/aiir/spec/facets/1-0-0/{}.json#/$defs/{}"


@attr.define
class AiirModelDatasetFacet(DatasetFacet):
    """`aiir_model`: this data set is a model version."""

    version: str | None = attr.field(default=None)
    digest: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA.format("AiirModelDatasetFacet", "AiirModelDatasetFacet")


@attr.define
class AiirBatchesInputDatasetFacet(InputDatasetFacet):
    """`aiir_batches`: the batches of the data set the run read."""

    batches: list[str] = attr.field(factory=list)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA.format("AiirBatchesInputDatasetFacet", "AiirBatchesInputDatasetFacet")


def data(name, revision, batches=None):
    facets = {"version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=revision)}
    input_facets = {"aiir_batches": AiirBatchesInputDatasetFacet(batches=batches)} if batches else {}
    return InputDataset(namespace="s3://training-data", name=name, facets=facets, inputFacets=input_facets)


def model(kind, name, version=None, digest=None, standard_version=None):
    facets = {"aiir_model": AiirModelDatasetFacet(version=version, digest=digest)}
    if standard_version:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=standard_version)
    return kind(namespace="models://registry", name=name, facets=facets)


def pipeline(start):
    """(run name, job, inputs, output) of each run, and when each starts."""
    return [
        ("train", "train-support", [data("support-tickets", "r1", ["b-001", "b-002"])],
         model(OutputDataset, "support-assistant", "1.0", "sha256:" + "a" * 64)),
        ("fine-tune", "fine-tune-support",
         [model(InputDataset, "support-assistant", "1.0", "sha256:" + "a" * 64),
          data("support-feedback", "f1", ["fb-001"])],
         model(OutputDataset, "support-assistant", "1.1", "sha256:" + "b" * 64)),
        ("clean", "train-support", [data("support-tickets", "r2")],
         model(OutputDataset, "support-assistant", standard_version="1.2")),
    ], [start + timedelta(hours=2 * i) for i in range(3)]


def clients(args):
    """One client a transport: the HTTP one to --url, the file one to --file."""
    transports = []
    if args.url:
        auth = {"auth": ApiKeyTokenProvider({"api_key": args.api_key})} if args.api_key else {}
        transports.append(HttpTransport(HttpConfig(url=args.url, **auth)))
    if args.file:
        transports.append(FileTransport(FileConfig(log_file_path=args.file, append=True)))
    return [OpenLineageClient(transport=t) for t in transports]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="aiir serve's base URL, e.g. http://127.0.0.1:4318")
    parser.add_argument("--api-key", help="a sender's token, sent as Authorization: Bearer")
    parser.add_argument("--file", help="append the events to this file, one a line")
    parser.add_argument("--start", default="2026-11-20T09:00:00+00:00", help="when the first run starts")
    args = parser.parse_args()
    if not (args.url or args.file):
        parser.error("give --url, --file or both")
    senders = clients(args)
    runs, starts = pipeline(datetime.fromisoformat(args.start).astimezone(timezone.utc))
    ids = {}
    for (name, job, inputs, output), start in zip(runs, starts):
        run = Run(runId=str(generate_new_uuid()))
        ids[name] = run.runId
        for state, at, outputs in [(RunState.START, start, []), (RunState.COMPLETE, start + timedelta(hours=1), [output])]:
            event = RunEvent(eventType=state, eventTime=at.isoformat(), run=run, job=Job(namespace=NAMESPACE, name=job),
                             producer=PRODUCER, inputs=inputs, outputs=outputs)
            try:
                for client in senders:
                    client.emit(event)
            except Exception as e:  # noqa: BLE001 - the test prints why
                print(f"lineage_client: {name} {state.value}: {e}", file=sys.stderr)
                return 1
    for client in senders:
        client.close()
    print(json.dumps(ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
