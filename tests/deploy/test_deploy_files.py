"""deploy/ (Dockerfile, compose, Kubernetes) agrees with the code it deploys.

Docker can't run on the development machine, so these tests parse the files
and compare them with the settings, the CLI and the HTTP paths of the app.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from argparse import _SubParsersAction
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pydantic import AliasChoices
from sqlalchemy.engine import make_url

from bot.cli.main import parser
from bot.settings import Settings
from bot.slack.http import EVENTS_PATH, HEALTH_PATH

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
README = (ROOT / "README.md").read_text(encoding="utf-8")
PORT: int = Settings.model_fields["port"].default
# Variables read by something other than the bot: the postgres image, libpq's
# password (which keeps it out of the ConfigMap's URL), Python and pip.
NON_BOT_ENV = re.compile(
    r"POSTGRES_[A-Z_]+|PGPASSWORD|PATH|PYTHONDONTWRITEBYTECODE|PYTHONUNBUFFERED"
    r"|PIP_NO_CACHE_DIR|PIP_DISABLE_PIP_VERSION_CHECK"
)
# The tips settings the CronJob's ConfigMap sets for `stpm-bot post-tips`.
TIPS_SETTINGS = frozenset({"STPM_BOT_TIPS_CHANNELS", "STPM_BOT_TIMEZONE"})
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD")
PLACEHOLDER = "REPLACE-ME"


@dataclass(frozen=True)
class Instruction:
    stage: int  # how many FROMs came before, minus one
    keyword: str
    args: str


@cache
def dockerfile() -> tuple[Instruction, ...]:
    """Instructions with continuations joined and comments dropped."""
    lines, pending = [], ""
    for raw in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    instructions, stage = [], -1
    for line in lines:
        keyword, _, args = line.partition(" ")
        stage += keyword.upper() == "FROM"
        instructions.append(Instruction(stage, keyword.upper(), args.strip()))
    return tuple(instructions)


def docker(keyword: str) -> list[Instruction]:
    return [i for i in dockerfile() if i.keyword == keyword]


def docker_env() -> dict[str, str]:
    pairs = [shlex.split(i.args) for i in docker("ENV")]
    return dict(token.split("=", 1) for tokens in pairs for token in tokens)


def copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY from the build context."""
    result = []
    for instruction in docker("COPY"):
        tokens = shlex.split(instruction.args)
        if any(t.startswith("--from") for t in tokens):
            continue
        paths = [t for t in tokens if not t.startswith("--")]
        result.append((paths[:-1], paths[-1]))
    return result


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    )
    return loaded


def env_example() -> dict[str, str]:
    """Every NAME=value in env.example, commented-out defaults included."""
    text = (DEPLOY / "env.example").read_text(encoding="utf-8")
    found = re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.MULTILINE)
    return dict(found)


@cache
def k8s() -> dict[str, dict[str, Any]]:
    """The Kubernetes objects by kind (each kind appears once)."""
    objects: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc.get("kind") != "Kustomization":
                assert doc["kind"] not in objects, f"two {doc['kind']}s ({path.name})"
                objects[doc["kind"]] = doc
    return objects


def pod_specs() -> dict[str, dict[str, Any]]:
    return {
        "Deployment": k8s()["Deployment"]["spec"]["template"]["spec"],
        "CronJob": k8s()["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"],
    }


def containers() -> dict[str, dict[str, Any]]:
    return {kind: spec["containers"][0] for kind, spec in pod_specs().items()}


def container_port(port: int | str) -> int:
    """A port number, or a port name of the Deployment's container, as a number."""
    named = {p["name"]: p["containerPort"] for p in containers()["Deployment"]["ports"]}
    return named[port] if isinstance(port, str) else port


def settings_env_names() -> dict[str, set[str]]:
    """Field name -> the environment names that set it, as pydantic reads them."""
    prefix = Settings.model_config.get("env_prefix", "")
    names = {}
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias or info.alias
        if alias is None:
            names[field] = {f"{prefix}{field.upper()}"}
        elif isinstance(alias, AliasChoices):
            names[field] = {c for c in alias.choices if isinstance(c, str)}
        else:
            names[field] = {str(alias)}
    return names


def subcommands() -> set[str]:
    actions = parser()._actions
    return {
        name
        for action in actions
        if isinstance(action, _SubParsersAction)
        for name in action.choices
    }


def deploy_env_names() -> dict[str, set[str]]:
    """Where each environment variable in deploy/ is set -> the names set there."""
    where = {"Dockerfile ENV": set(docker_env()), "env.example": set(env_example())}
    for name, service in compose()["services"].items():
        where[f"compose {name}"] = set(service.get("environment") or {})
    where["ConfigMap"] = set(k8s()["ConfigMap"]["data"])
    where["Secret"] = set(k8s()["Secret"].get("stringData", {}))
    for kind, container in containers().items():
        where[f"{kind} env"] = {e["name"] for e in container.get("env", [])}
    return where


def test_every_env_name_in_deploy_is_a_setting() -> None:
    """Each variable set in deploy/ is read by the settings or is a non-bot one."""
    known = set().union(*settings_env_names().values())
    unknown = {
        place: sorted(
            n for n in names if n not in known and not NON_BOT_ENV.fullmatch(n)
        )
        for place, names in deploy_env_names().items()
    }
    assert {} == {place: names for place, names in unknown.items() if names}


def test_tips_settings_exist() -> None:
    """The tips settings deploy/ uses are fields of Settings."""
    known = set().union(*settings_env_names().values())
    assert [] == sorted(TIPS_SETTINGS - known)


def test_env_example_lists_every_setting() -> None:
    """env.example names every setting, so an operator sees every knob."""
    listed = set(env_example())
    missing = [f for f, names in settings_env_names().items() if not names & listed]
    assert [] == missing


def test_no_real_secrets_in_examples() -> None:
    """Tokens, secrets and passwords (in URLs too) in deploy/ are placeholders."""
    values = env_example() | k8s()["Secret"]["stringData"] | k8s()["ConfigMap"]["data"]
    secrets = [v for n, v in values.items() if any(w in n for w in SECRET_WORDS)]
    secrets += re.findall(r"://[^/@:]+:([^@]+)@", "\n".join(values.values()))
    assert [] == [v for v in secrets if v and PLACEHOLDER not in v]


def test_dockerfile_is_multi_stage_and_non_root() -> None:
    """Builder and runtime stages; the runtime runs as uid 10001, not root."""
    assert len(docker("FROM")) >= 2
    user = docker("USER")[-1]
    assert dockerfile()[-1].stage == user.stage
    assert "10001" == user.args.split(":")[0]


def test_dockerfile_installs_dependencies_before_code() -> None:
    """requirements.lock is copied and installed before bot/ is copied."""
    order = [(i.keyword, i.args) for i in dockerfile()]
    lock = next(
        n for n, (k, a) in enumerate(order) if k == "COPY" and "requirements.lock" in a
    )
    install = next(
        n
        for n, (k, a) in enumerate(order)
        if k == "RUN" and "-r requirements.lock" in a
    )
    code = next(
        n for n, (k, a) in enumerate(order) if k == "COPY" and a.startswith("bot/")
    )
    assert lock < install < code


def test_dockerfile_serves_the_settings_port_and_health_path() -> None:
    """EXPOSE, ENV PORT and the HEALTHCHECK URL agree with Settings and the app."""
    assert [str(PORT)] == [i.args for i in docker("EXPOSE")]
    assert str(PORT) == docker_env()["PORT"]
    (healthcheck,) = docker("HEALTHCHECK")
    assert f"http://127.0.0.1:${{PORT:-{PORT}}}{HEALTH_PATH}" in healthcheck.args


def test_dockerfile_runs_an_existing_command() -> None:
    """The image's CMD is `stpm-bot run`, a subcommand of the CLI."""
    (cmd,) = docker("CMD")
    assert ["stpm-bot", "run"] == json.loads(cmd.args)
    assert "run" in subcommands()


def test_dockerfile_points_settings_at_baked_in_paths() -> None:
    """The knowledge dir setting is where knowledge/ is copied; data is a volume."""
    env = docker_env()
    destinations = {
        dest.rstrip("/") for sources, dest in copies() if sources == ["knowledge/"]
    }
    assert {env["STPM_BOT_KNOWLEDGE_DIR"]} == destinations
    assert [f'["{env["STPM_BOT_DATA_DIR"]}"]'] == [i.args for i in docker("VOLUME")]


def test_dockerignore_admits_every_copied_path() -> None:
    """Each COPY source from the build context is allowed in by .dockerignore."""
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied = {source.rstrip("/") for sources, _ in copies() for source in sources}
    assert set() == copied - allowed
    assert all((ROOT / path).exists() for path in copied)


def test_compose_http_bot_port_health_and_database() -> None:
    """`bot` serves HTTP on the settings port, checks /healthz, waits for postgres."""
    bot = compose()["services"]["bot"]
    assert [f"{PORT}:{PORT}"] == bot["ports"]
    assert "" == bot["environment"]["SLACK_APP_TOKEN"]
    assert f"127.0.0.1:{PORT}{HEALTH_PATH}'" in " ".join(bot["healthcheck"]["test"])
    assert {"postgres": {"condition": "service_healthy"}} == bot["depends_on"]
    assert ".env" == bot["env_file"]


def test_compose_socket_profile_and_postgres() -> None:
    """bot-socket is opt-in and portless; both bots use the compose PostgreSQL."""
    services = compose()["services"]
    socket = services["bot-socket"]
    assert ["socket"] == socket["profiles"]
    assert "ports" not in socket
    assert "SLACK_APP_TOKEN" not in socket["environment"]  # comes from .env
    assert {"disable": True} == socket["healthcheck"]
    for name in ("bot", "bot-socket"):
        url = services[name]["environment"]["STPM_BOT_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:16") and "healthcheck" in postgres
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose()["volumes"]


def test_compose_substitutions_are_in_env_example() -> None:
    """Every ${VAR} compose substitutes is documented in env.example."""
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert set() == set(re.findall(r"\$\{([A-Z0-9_]+)", text)) - set(env_example())


# What `kubectl apply -k deploy/k8s` applies; the example Secret is not in it
# (the README says to fill in a copy and apply it on its own).
RESOURCES = [
    "configmap.yaml",
    "deployment.yaml",
    "service.yaml",
    "ingress.yaml",
    "hpa.yaml",
    "pdb.yaml",
    "cronjob.yaml",
    "networkpolicy.yaml",
]
EXAMPLE_SECRET = "secret.example.yaml"


def test_kustomization_lists_every_file_but_the_example_secret() -> None:
    """kustomization.yaml's resources are exactly these files; deploy/k8s holds
    them, itself and the example Secret, which is never applied with them."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert RESOURCES == kustomization["resources"]
    files = {p.name for p in K8S.iterdir()}
    assert {*RESOURCES, "kustomization.yaml", EXAMPLE_SECRET} == files
    example = (K8S / EXAMPLE_SECRET).read_text(encoding="utf-8")
    assert "kubectl apply -f ~/stpm-bot-secret.yaml" in example
    assert "kubectl apply -f ~/stpm-bot-secret.yaml" in README


def test_kustomize_builds() -> None:
    """`kubectl kustomize deploy/k8s` renders (checked where kubectl exists)."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: the kustomize build is not checked")
    built = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, check=False
    )
    assert "" == built.stderr
    kinds = sorted(doc["kind"] for doc in yaml.safe_load_all(built.stdout))
    assert sorted(set(k8s()) - {"Secret"}) == kinds


def test_k8s_ports_match_settings() -> None:
    """containerPort, probes, Service targetPort and ConfigMap PORT: the default."""
    bot = containers()["Deployment"]
    assert [PORT] == [p["containerPort"] for p in bot["ports"]]
    for probe in ("readinessProbe", "livenessProbe"):
        assert PORT == container_port(bot[probe]["httpGet"]["port"])
    (service_port,) = k8s()["Service"]["spec"]["ports"]
    assert (80, PORT) == (
        service_port["port"],
        container_port(service_port["targetPort"]),
    )
    assert str(PORT) == k8s()["ConfigMap"]["data"]["PORT"]


def test_k8s_paths_match_the_app() -> None:
    """Probes use the health path; the Ingress routes exactly the app's two paths."""
    bot = containers()["Deployment"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert HEALTH_PATH == bot[probe]["httpGet"]["path"]
    (rule,) = k8s()["Ingress"]["spec"]["rules"]
    paths = rule["http"]["paths"]
    assert {EVENTS_PATH, HEALTH_PATH} == {p["path"] for p in paths}
    service = k8s()["Service"]
    for path in paths:
        backend = path["backend"]["service"]
        assert service["metadata"]["name"] == backend["name"]
        assert service["spec"]["ports"][0]["name"] == backend["port"]["name"]
    assert [rule["host"]] == k8s()["Ingress"]["spec"]["tls"][0]["hosts"]


def test_deployment_runs_http_mode() -> None:
    """2+ replicas of `stpm-bot run` with no app token, so HTTP mode."""
    deployment = k8s()["Deployment"]
    assert deployment["spec"]["replicas"] >= 2
    bot = containers()["Deployment"]
    assert ["stpm-bot", "run"] == bot["command"] and "run" in subcommands()
    assert [{"name": "SLACK_APP_TOKEN", "value": ""}] == bot["env"]
    assert "SLACK_APP_TOKEN" not in k8s()["Secret"]["stringData"]
    assert {"requests", "limits"} == set(bot["resources"])


def test_cronjob_posts_tips_on_weekdays() -> None:
    """The CronJob runs `stpm-bot post-tips` at 09:00 on weekdays, never overlapping."""
    cronjob = k8s()["CronJob"]["spec"]
    assert ("0 9 * * 1-5", "Forbid") == (
        cronjob["schedule"],
        cronjob["concurrencyPolicy"],
    )
    assert k8s()["ConfigMap"]["data"]["STPM_BOT_TIMEZONE"] == cronjob["timeZone"]
    tips = containers()["CronJob"]
    assert ["stpm-bot", "post-tips"] == tips["command"]
    assert containers()["Deployment"]["envFrom"] == tips["envFrom"]
    assert "post-tips" in subcommands()


def test_env_from_refers_to_defined_objects() -> None:
    """envFrom names the ConfigMap and the Secret defined in deploy/k8s."""
    config, secret = (
        k8s()[kind]["metadata"]["name"] for kind in ("ConfigMap", "Secret")
    )
    expected = [{"configMapRef": {"name": config}}, {"secretRef": {"name": secret}}]
    assert expected == containers()["Deployment"]["envFrom"]


def test_pods_are_non_root_and_locked_down() -> None:
    """Every pod runs as the image's user, unprivileged, writing only /data, /tmp."""
    uid = int(docker("USER")[-1].args.split(":")[0])
    writable = {docker_env()["STPM_BOT_DATA_DIR"], "/tmp"}
    for kind, pod in pod_specs().items():
        assert (True, uid) == (
            pod["securityContext"]["runAsNonRoot"],
            pod["securityContext"]["runAsUser"],
        ), kind
        assert pod["enableServiceLinks"] is False, kind  # STPM_BOT_PORT=tcp://…
        empty_dirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert (True, uid, False, True, ["ALL"]) == (
                context["runAsNonRoot"],
                context["runAsUser"],
                context["allowPrivilegeEscalation"],
                context["readOnlyRootFilesystem"],
                context["capabilities"]["drop"],
            ), kind
            mounts = {
                m["mountPath"]
                for m in container["volumeMounts"]
                if m["name"] in empty_dirs
            }
            assert writable == mounts, kind


def test_service_pdb_and_hpa_target_the_http_pods() -> None:
    """Service and PDB select only the Deployment's pods; HPA scales it 2-6 on CPU."""
    labels = k8s()["Deployment"]["spec"]["template"]["metadata"]["labels"]
    tips_labels = k8s()["CronJob"]["spec"]["jobTemplate"]["spec"]["template"][
        "metadata"
    ]["labels"]
    selector = k8s()["Service"]["spec"]["selector"]
    assert selector.items() <= labels.items()
    assert not selector.items() <= tips_labels.items()
    assert (
        k8s()["Deployment"]["spec"]["selector"]["matchLabels"]
        == k8s()["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]
    )
    assert 1 == k8s()["PodDisruptionBudget"]["spec"]["minAvailable"]
    hpa = k8s()["HorizontalPodAutoscaler"]
    assert "autoscaling/v2" == hpa["apiVersion"]
    assert ("Deployment", "stpm-bot") == (
        hpa["spec"]["scaleTargetRef"]["kind"],
        hpa["spec"]["scaleTargetRef"]["name"],
    )
    (metric,) = hpa["spec"]["metrics"]
    assert (2, 6, "cpu", 70) == (
        hpa["spec"]["minReplicas"],
        hpa["spec"]["maxReplicas"],
        metric["resource"]["name"],
        metric["resource"]["target"]["averageUtilization"],
    )


def locked() -> dict[str, tuple[str, list[str]]]:
    """requirements.lock: each package -> its pinned version and sha256s."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    pins: dict[str, tuple[str, list[str]]] = {}
    for line in joined.splitlines():
        if not line or line.startswith("#"):
            continue
        pin, *options = line.split()
        name, version = pin.split("==")
        hashes = [o.removeprefix("--hash=sha256:") for o in options]
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), line
        pins[canonicalize_name(name)] = (version, hashes)
    return pins


def test_requirements_lock_satisfies_pyproject() -> None:
    """requirements.lock pins each dependency within pyproject's range, and psycopg."""
    pins = {name: version for name, (version, _) in locked().items()}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for dependency in map(Requirement, project["project"]["dependencies"]):
        name = canonicalize_name(dependency.name)
        assert name in pins, name
        assert dependency.specifier.contains(pins[name]), (name, pins[name])
    assert {"psycopg", "psycopg-binary"} <= set(pins)
    assert "stpm-bot" not in pins


def test_requirements_lock_has_hashes_the_image_requires() -> None:
    """Every pin carries sha256 hashes, and the image installs it with
    --require-hashes --no-deps (a file that is not the one locked fails)."""
    assert [] == [name for name, (_, hashes) in locked().items() if not hashes]
    (install,) = [i for i in docker("RUN") if "-r requirements.lock" in i.args]
    options = shlex.split(install.args)
    assert {"--require-hashes", "--no-deps", "--only-binary=:all:"} <= set(options)


def test_network_policy_lets_in_only_the_ingress_and_out_only_what_is_needed() -> None:
    """Every bot pod: in, only the ingress controller to the HTTP port; out,
    only DNS, HTTPS (Slack) and the database's port (from the ConfigMap)."""
    policy = k8s()["NetworkPolicy"]["spec"]
    selector = policy["podSelector"]["matchLabels"]
    for kind in ("Deployment", "CronJob"):
        labels = (
            k8s()["Deployment"]["spec"]["template"]["metadata"]["labels"]
            if kind == "Deployment"
            else k8s()["CronJob"]["spec"]["jobTemplate"]["spec"]["template"][
                "metadata"
            ]["labels"]
        )
        assert selector.items() <= labels.items(), kind
    assert ["Ingress", "Egress"] == policy["policyTypes"]
    (ingress,) = policy["ingress"]
    assert [{"protocol": "TCP", "port": PORT}] == ingress["ports"]
    (source,) = ingress["from"]
    assert {"namespaceSelector", "podSelector"} == set(source)
    # ingress-nginx, whose class the example Ingress uses.
    assert "nginx" == k8s()["Ingress"]["spec"]["ingressClassName"]
    namespace = source["namespaceSelector"]["matchLabels"]
    assert {"kubernetes.io/metadata.name": "ingress-nginx"} == namespace
    database = make_url(k8s()["ConfigMap"]["data"]["STPM_BOT_DATABASE_URL"]).port
    allowed = sorted(
        (port["protocol"], port["port"])
        for rule in policy["egress"]
        for port in rule["ports"]
    )
    assert sorted([("UDP", 53), ("TCP", 53), ("TCP", 443), ("TCP", database)]) == (
        allowed
    )
    dns = next(
        rule
        for rule in policy["egress"]
        if ("UDP", 53) in {(p["protocol"], p["port"]) for p in rule["ports"]}
    )
    assert "kube-dns" == dns["to"][0]["podSelector"]["matchLabels"]["k8s-app"]


def test_every_deployment_sets_the_data_dir_to_its_volume() -> None:
    """The image, compose's services and the ConfigMap all set
    STPM_BOT_DATA_DIR to the mounted volume, never the per-user default."""
    data = docker_env()["STPM_BOT_DATA_DIR"]
    assert [f'["{data}"]'] == [i.args for i in docker("VOLUME")]
    assert data == k8s()["ConfigMap"]["data"]["STPM_BOT_DATA_DIR"]
    for name in ("bot", "bot-socket"):
        service = compose()["services"][name]
        assert data == service["environment"]["STPM_BOT_DATA_DIR"], name
        assert f"bot-data:{data}" in service["volumes"], name
    for kind, container in containers().items():
        assert data in {m["mountPath"] for m in container["volumeMounts"]}, kind
