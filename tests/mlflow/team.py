"""What a team does to its MLflow Model Registry, with MLflow's own client, for
tests/all/mlflow.rs. One command per call (importing mlflow takes seconds):

  team.py URL register MODEL LABEL DIGEST...   one version per digest, the last one `champion`
  team.py URL alias MODEL ALIAS VERSION        point an alias at a version
  team.py URL tag MODEL VERSION KEY VALUE      tag a version
  team.py URL show MODEL                       {"aliases": {...}, "versions": {"1": {tags}}} as JSON
"""

import json
import sys

from mlflow import MlflowClient


def main(url, command, *args):
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    if command == "register":
        model, label, *digests = args
        client.create_registered_model(model)
        for digest in digests:
            source = f"s3://models/{model}/{label}/{digest.split(':')[-1][:12]}"
            version = client.create_model_version(model, source, tags={"version": label, "digest": digest})
        client.set_registered_model_alias(model, "champion", version.version)
    elif command == "alias":
        client.set_registered_model_alias(*args)
    elif command == "tag":
        client.set_model_version_tag(*args)
    elif command == "show":
        (model,) = args
        found = client.get_registered_model(model)
        versions = client.search_model_versions(f"name='{model}'")
        print(json.dumps({"aliases": dict(found.aliases), "versions": {v.version: dict(v.tags) for v in versions}}))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(*sys.argv[1:])
