#!/usr/bin/env python3
"""Checks the ready files in deploy/ (docs/cluster.md) without a cluster.

Debian 12 has no Kubernetes schema validator that knows the fields the Job
uses (its kubernetes-client is 1.20; backoffLimitPerIndex came in 1.28), so
the manifest is checked here against the API's types for the subset it uses:
every key must be a field of its object (a typo fails), every value of the
field's type, and the values must fit together the way the API server and
seedreel require (Indexed completions, per-index backoff with restartPolicy
Never, the key from a Secret, journals and outputs on the claimed volume, the
shard count equal to the completions...). The Slurm script is checked with
bash -n and for its directives.

usage: test_cluster_manifests.py SOURCE_DIR      (exit 0 when every check passes)
"""
import re
import subprocess
import sys
from pathlib import Path

import yaml


class UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key given twice (PyYAML keeps the last silently)."""


def _mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)

# The Kubernetes API types (batch/v1 Job, core/v1 PersistentVolumeClaim and
# what they contain), reduced to the fields a seedreel Job has use for. A
# field name is mapped to its type: a scalar type, [type] for a list, or the
# name of another object type below.
QUANTITY = "quantity"
SCHEMA = {
    "ObjectMeta": {"name": str, "namespace": str, "labels": {str: str}, "annotations": {str: str}},
    "PersistentVolumeClaim": {"apiVersion": str, "kind": str, "metadata": "ObjectMeta", "spec": "PersistentVolumeClaimSpec"},
    "PersistentVolumeClaimSpec": {"accessModes": [str], "resources": "VolumeResourceRequirements",
                                  "storageClassName": str, "volumeMode": str},
    "VolumeResourceRequirements": {"requests": {str: QUANTITY}, "limits": {str: QUANTITY}},
    "Job": {"apiVersion": str, "kind": str, "metadata": "ObjectMeta", "spec": "JobSpec"},
    "JobSpec": {"completionMode": str, "completions": int, "parallelism": int, "backoffLimit": int,
                "backoffLimitPerIndex": int, "maxFailedIndexes": int, "podReplacementPolicy": str,
                "podFailurePolicy": "PodFailurePolicy", "ttlSecondsAfterFinished": int, "activeDeadlineSeconds": int,
                "suspend": bool, "template": "PodTemplateSpec"},
    "PodFailurePolicy": {"rules": ["PodFailurePolicyRule"]},
    "PodFailurePolicyRule": {"action": str, "onExitCodes": "PodFailurePolicyOnExitCodesRequirement",
                             "onPodConditions": ["PodFailurePolicyOnPodConditionsPattern"]},
    "PodFailurePolicyOnExitCodesRequirement": {"containerName": str, "operator": str, "values": [int]},
    "PodFailurePolicyOnPodConditionsPattern": {"type": str, "status": str},
    "PodTemplateSpec": {"metadata": "ObjectMeta", "spec": "PodSpec"},
    "PodSpec": {"restartPolicy": str, "terminationGracePeriodSeconds": int, "securityContext": "PodSecurityContext",
                "containers": ["Container"], "volumes": ["Volume"], "serviceAccountName": str, "nodeSelector": {str: str}},
    "PodSecurityContext": {"runAsNonRoot": bool, "runAsUser": int, "runAsGroup": int, "fsGroup": int},
    "Container": {"name": str, "image": str, "imagePullPolicy": str, "command": [str], "args": [str], "env": ["EnvVar"],
                  "volumeMounts": ["VolumeMount"], "resources": "ResourceRequirements", "workingDir": str},
    "ResourceRequirements": {"requests": {str: QUANTITY}, "limits": {str: QUANTITY}},
    "EnvVar": {"name": str, "value": str, "valueFrom": "EnvVarSource"},
    "EnvVarSource": {"secretKeyRef": "SecretKeySelector"},
    "SecretKeySelector": {"name": str, "key": str, "optional": bool},
    "VolumeMount": {"name": str, "mountPath": str, "readOnly": bool, "subPath": str},
    "Volume": {"name": str, "persistentVolumeClaim": "PersistentVolumeClaimVolumeSource"},
    "PersistentVolumeClaimVolumeSource": {"claimName": str, "readOnly": bool},
}
# Required fields, as the API server requires them.
REQUIRED = {
    "Job": ["apiVersion", "kind", "metadata", "spec"], "PersistentVolumeClaim": ["apiVersion", "kind", "metadata", "spec"],
    "JobSpec": ["template"], "PodSpec": ["containers"], "Container": ["name", "image"],
    "EnvVar": ["name"], "SecretKeySelector": ["name", "key"], "VolumeMount": ["name", "mountPath"], "Volume": ["name"],
    "PersistentVolumeClaimVolumeSource": ["claimName"], "PodFailurePolicyRule": ["action"],
    "PodFailurePolicyOnExitCodesRequirement": ["operator", "values"], "PodFailurePolicyOnPodConditionsPattern": ["type"],
}
QUANTITY_RE = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|M|G|T|P)?$")
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

problems = []


def problem(where, message):
    problems.append(f"{where}: {message}")


def check_type(value, kind, where):
    """Checks value against kind (a schema entry); recurses into objects."""
    if isinstance(kind, list):
        if not isinstance(value, list):
            return problem(where, f"must be a list, not {type(value).__name__}")
        for i, item in enumerate(value):
            check_type(item, kind[0], f"{where}[{i}]")
    elif isinstance(kind, dict):
        if not isinstance(value, dict):
            return problem(where, f"must be a map, not {type(value).__name__}")
        (key_kind, value_kind), = kind.items()
        for k, v in value.items():
            check_type(k, key_kind, f"{where} key")
            check_type(v, value_kind, f"{where}.{k}")
    elif kind == QUANTITY:
        if not (isinstance(value, str) and QUANTITY_RE.match(value)) and not isinstance(value, int):
            problem(where, f"{value!r} is not a Kubernetes quantity")
    elif isinstance(kind, str):
        check_object(value, kind, where)
    elif kind is int:
        if not isinstance(value, int) or isinstance(value, bool):
            problem(where, f"must be an integer, not {value!r}")
    elif not isinstance(value, kind):
        problem(where, f"must be {kind.__name__}, not {value!r} ({type(value).__name__})")


def check_object(value, type_name, where):
    if not isinstance(value, dict):
        return problem(where, f"must be a {type_name} object")
    fields = SCHEMA[type_name]
    for key, v in value.items():
        if key not in fields:
            problem(where, f"{key!r} is not a field of {type_name} (known: {', '.join(sorted(fields))})")
        else:
            check_type(v, fields[key], f"{where}.{key}")
    for key in REQUIRED.get(type_name, []):
        if key not in value:
            problem(where, f"{type_name} needs {key!r}")


def env_map(container):
    return {e["name"]: e for e in container.get("env", [])}


def check_job(job, claims):
    spec = job["spec"]
    pod = spec["template"]["spec"]
    name = job["metadata"]["name"]
    if job["apiVersion"] != "batch/v1":
        problem(name, "a Job is batch/v1")
    if not DNS1123.match(name) or len(name) > 63:
        problem(name, "the Job's name must be a DNS label of at most 63 characters (it names the pods)")
    # One pod per shard: each gets JOB_COMPLETION_INDEX.
    if spec.get("completionMode") != "Indexed":
        problem(name, "completionMode must be Indexed (it sets JOB_COMPLETION_INDEX in each pod)")
    completions = spec.get("completions")
    if not isinstance(completions, int) or completions < 1:
        problem(name, "completions (the number of shards) must be set, 1 or more")
        return
    if not 1 <= spec.get("parallelism", 1) <= completions:
        problem(name, "parallelism must be 1..completions")
    # Per-index retries (a shard's failure does not use up the others' retries).
    if not isinstance(spec.get("backoffLimitPerIndex"), int) or spec["backoffLimitPerIndex"] < 0:
        problem(name, "backoffLimitPerIndex must be set (0 or more)")
    if pod.get("restartPolicy") != "Never":
        problem(name, "restartPolicy must be Never (backoffLimitPerIndex and podFailurePolicy require it)")
    if spec.get("podReplacementPolicy") != "Failed":
        problem(name, "podReplacementPolicy must be Failed: one shard's journal never has two writers")
    containers = {c["name"]: c for c in pod["containers"]}
    for c in containers:
        if not DNS1123.match(c):
            problem(name, f"container name {c!r} is not a DNS label")
    for i, rule in enumerate(spec.get("podFailurePolicy", {}).get("rules", [])):
        where = f"{name}.podFailurePolicy.rules[{i}]"
        if rule["action"] not in ("FailJob", "FailIndex", "Ignore", "Count"):
            problem(where, f"unknown action {rule['action']!r}")
        if rule["action"] == "FailIndex" and "backoffLimitPerIndex" not in spec:
            problem(where, "FailIndex needs backoffLimitPerIndex")
        if ("onExitCodes" in rule) == ("onPodConditions" in rule):
            problem(where, "a rule has exactly one of onExitCodes and onPodConditions")
        codes = rule.get("onExitCodes")
        if codes:
            values = codes["values"]
            if codes["operator"] not in ("In", "NotIn"):
                problem(where, "operator must be In or NotIn")
            if codes["operator"] == "In" and (0 in values or values != sorted(set(values))):
                problem(where, "In values must be sorted, unique and not 0")
            if codes.get("containerName", next(iter(containers))) not in containers:
                problem(where, f"containerName {codes.get('containerName')!r} is no container of the pod")
            # seedreel's statuses (README "Exit status"): 4 (network/API) and 130 (SIGTERM) are worth a retry.
            if codes["operator"] == "In" and rule["action"] in ("FailIndex", "FailJob") and {4, 130} & set(values):
                problem(where, "exit status 4 (network) and 130 (stopped) are worth retrying: do not fail the index on them")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    if len(containers) != 1:
        return problem(name, "one container expected: seedreel")
    (container,) = containers.values()
    command = container.get("command", []) + container.get("args", [])
    if command[:2] != ["seedreel", "batch"]:
        problem(name, "the container runs seedreel batch")
    if "--shard" not in command or command[command.index("--shard") + 1] != "auto":
        problem(name, "seedreel batch needs --shard auto (the shard from JOB_COMPLETION_INDEX)")
    env = env_map(container)
    # Kubernetes does not tell the pod the completions count.
    count = env.get("SEEDREEL_SHARD_COUNT", {}).get("value")
    if "--shard-count" in command:
        count = command[command.index("--shard-count") + 1]
    if count != str(completions):
        problem(name, f"the shard count ({count!r}) must equal completions ({completions})")
    key = env.get("SEEDREEL_API_KEY")
    if not key or "value" in key or "secretKeyRef" not in key.get("valueFrom", {}):
        problem(name, "SEEDREEL_API_KEY must come from a Secret (valueFrom.secretKeyRef), never a literal value")
    # Journals and outputs on the claimed volume: a replacement pod finds them.
    mounts = {}
    for m in container.get("volumeMounts", []):
        volume = volumes.get(m["name"])
        if not volume:
            problem(name, f"volumeMount {m['name']!r} names no volume")
            continue
        claim = volume.get("persistentVolumeClaim", {}).get("claimName")
        if claim not in claims:
            problem(name, f"volume {m['name']!r} claims {claim!r}, which this file does not define")
        mounts[m["mountPath"].rstrip("/") + "/"] = claim

    def on_claim(path):
        return any(path.startswith(mount) for mount in mounts)

    if "--journal" not in command:
        problem(name, "give --journal on the volume (the default is inside the pod, lost with it)")
    else:
        journal = command[command.index("--journal") + 1]
        if "{shard}" not in journal:
            problem(name, f"--journal {journal!r} needs {{shard}}: one journal per shard")
        if not on_claim(journal):
            problem(name, f"--journal {journal!r} is not on a mounted claim")
    jobs = command[2] if len(command) > 2 else ""
    if not on_claim(jobs):
        problem(name, f"the jobs file {jobs!r} is not on a mounted claim (outputs resolve beside it)")
    for claim in mounts.values():
        modes = claims.get(claim, {}).get("spec", {}).get("accessModes", [])
        if spec.get("parallelism", 1) > 1 and "ReadWriteMany" not in modes:
            problem(claim, "pods on several nodes mount it at once: accessModes needs ReadWriteMany")


def check_kubernetes(path):
    try:
        docs = [d for d in yaml.load_all(path.read_text(), Loader=UniqueKeyLoader) if d is not None]
    except yaml.YAMLError as e:
        return problem(path.name, f"not valid YAML: {e}")
    claims, jobs = {}, []
    for i, doc in enumerate(docs):
        kind = doc.get("kind") if isinstance(doc, dict) else None
        if kind not in ("Job", "PersistentVolumeClaim"):
            problem(f"{path.name} document {i}", f"unexpected kind {kind!r}")
            continue
        check_object(doc, kind, f"{path.name}:{kind}")
        if not isinstance(doc.get("metadata"), dict) or "name" not in doc["metadata"]:
            problem(f"{path.name}:{kind}", "metadata.name is required")
            continue
        if kind == "PersistentVolumeClaim":
            if doc.get("apiVersion") != "v1":
                problem(path.name, "a PersistentVolumeClaim is v1")
            claims[doc["metadata"]["name"]] = doc
        else:
            jobs.append(doc)
    if len(jobs) != 1:
        problem(path.name, f"one Job expected, found {len(jobs)}")
    if problems:
        return
    for job in jobs:
        check_job(job, claims)


def check_slurm(path):
    text = path.read_text()
    r = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        problem(path.name, f"bash -n: {r.stderr.strip()}")
    directives = re.findall(r"^#SBATCH\s+(\S+)", text, re.M)
    array = [d for d in directives if d.startswith("--array=")]
    if not array or not re.fullmatch(r"--array=0-\d+%\d+", array[0]):
        problem(path.name, "#SBATCH --array=0-N%M expected: 0-based, evenly spaced, with a throttle")
    for needed in ("--requeue", "--open-mode=append"):
        if needed not in directives:
            problem(path.name, f"#SBATCH {needed} expected")
    if "--shard auto" not in text or "{shard}" not in text:
        problem(path.name, "seedreel batch --shard auto with a per-shard --journal ({shard}) expected")


def main():
    source = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    k8s = sorted((source / "deploy" / "kubernetes").glob("*.yaml"))
    slurm = sorted((source / "deploy" / "slurm").glob("*.sbatch"))
    if not k8s or not slurm:
        problem(str(source / "deploy"), "no Kubernetes manifest or Slurm script found")
    for path in k8s:
        check_kubernetes(path)
    for path in slurm:
        check_slurm(path)
    for p in problems:
        print(f"deploy: {p}", file=sys.stderr)
    print(f"{len(k8s)} manifest(s), {len(slurm)} Slurm script(s): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
