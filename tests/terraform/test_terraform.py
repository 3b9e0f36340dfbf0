"""terraform/ read without a terraform binary: every file parses (python-hcl2), the modules and the
production root agree on their variables and outputs, every variable and output is described, the
settings the application and docs/ depend on are there, and every check checkov is told to skip
says why (checkov itself: `make terraform-check`, run by .ci/run)."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"
MODULES = TERRAFORM / "modules"
ROOT = TERRAFORM / "environments" / "production"
TF_FILES = sorted(TERRAFORM.rglob("*.tf"))
# Arguments of a module block that are not the module's variables (and python-hcl2's own keys).
META_ARGUMENTS = {"source", "version", "providers", "depends_on", "count", "for_each"} | {
    "__is_block__",
    "__comments__",
}
VAR_REFERENCE = re.compile(r"\bvar\.([A-Za-z_][A-Za-z0-9_-]*)")
MODULE_REFERENCE = re.compile(r"\bmodule\.([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)")


def unquote(text: str) -> str:
    """python-hcl2 keeps the quotes of labels and string literals."""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a parsed value, keys included (expressions are strings: "${var.x}")."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def labelled(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`variable "x" {...}` blocks as {"x": {...}}."""
    return {unquote(label): body for block in blocks for label, body in block.items()}


def resources(parsed: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in parsed.get("resource", []):
        for kind, named in block.items():
            if unquote(kind) == resource_type:
                found.update(labelled([named]))
    return found


@dataclass
class Module:
    """One directory of .tf files, as Terraform sees it."""

    path: Path
    parsed: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Module:
        return _load_module(path)

    @classmethod
    def parse(cls, path: Path) -> Module:
        module = cls(path)
        for tf_file in sorted(path.glob("*.tf")):
            with tf_file.open() as handle:
                for key, blocks in hcl2.load(handle).items():
                    module.parsed.setdefault(key, []).extend(blocks)
        return module

    @property
    def variables(self) -> dict[str, dict[str, Any]]:
        return labelled(self.parsed.get("variable", []))

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return labelled(self.parsed.get("output", []))

    @property
    def calls(self) -> dict[str, dict[str, Any]]:
        return labelled(self.parsed.get("module", []))

    def used_variables(self) -> set[str]:
        everything = {key: value for key, value in self.parsed.items() if key != "variable"}
        # A variable's own validation block may name it too.
        for body in self.variables.values():
            everything.setdefault("validation", []).append(body.get("validation", []))
        return {m for text in strings_in(everything) for m in VAR_REFERENCE.findall(text)}

    def resource(self, resource_type: str, name: str) -> dict[str, Any]:
        return resources(self.parsed, resource_type)[name]


@functools.cache
def _load_module(path: Path) -> Module:
    """Parsing is slow (lark): each directory once per run; nothing changes a loaded module."""
    return Module.parse(path)


def problems_of(module: Module) -> list[str]:
    """Variables used but never declared, or declared but never used; variables or outputs
    without a description."""
    used, declared = module.used_variables(), module.variables.keys()
    problems = [
        f"{module.path.name}: var.{name} is used but not declared"
        for name in sorted(used - declared)
    ] + [
        f"{module.path.name}: variable {name} is declared but never used"
        for name in sorted(declared - used)
    ]
    for kind, blocks in (("variable", module.variables), ("output", module.outputs)):
        for name, body in blocks.items():
            if not unquote(str(body.get("description", ""))).strip():
                problems.append(f"{module.path.name}: {kind} {name} has no description")
    return problems


def call_problems(root: Module) -> list[str]:
    """Each module call against the module it calls: inputs it does not declare, required inputs
    not given, outputs read from it that it does not have."""
    problems = []
    called = {}
    for call_name, body in root.calls.items():
        module = Module.load((root.path / unquote(body["source"])).resolve())
        called[call_name] = module
        given = set(body) - META_ARGUMENTS
        declared = module.variables
        problems += [
            f"module {call_name}: {name} is passed but not a variable of {module.path.name}"
            for name in sorted(given - declared.keys())
        ]
        required = {name for name, var in declared.items() if "default" not in var}
        problems += [
            f"module {call_name}: required variable {name} is not passed"
            for name in sorted(required - given)
        ]
    for text in strings_in(root.parsed):
        for call_name, output in MODULE_REFERENCE.findall(text):
            if call_name not in called:
                problems.append(f"module.{call_name} is referenced but never called")
            elif output not in called[call_name].outputs:
                problems.append(f"module.{call_name}.{output} is not an output of that module")
    return problems


MODULE_DIRS = sorted(path for path in MODULES.iterdir() if path.is_dir())


def test_the_tree_has_every_module_and_the_root() -> None:
    assert [path.name for path in MODULE_DIRS] == [
        "cache",
        "compute",
        "database",
        "edge",
        "network",
        "observability",
        "storage",
    ]
    assert {path.name for path in ROOT.glob("*.tf")} >= {"main.tf", "variables.tf", "outputs.tf"}
    assert (ROOT / "terraform.tfvars.example").is_file()
    assert (ROOT / "backend.hcl.example").is_file()


@pytest.mark.parametrize("tf_file", TF_FILES, ids=[str(p.relative_to(TERRAFORM)) for p in TF_FILES])
def test_every_file_parses(tf_file: Path) -> None:
    with tf_file.open() as handle:
        assert hcl2.load(handle), f"{tf_file} is empty"


@pytest.mark.parametrize("module_dir", [*MODULE_DIRS, ROOT], ids=lambda path: path.name)
def test_variables_are_declared_used_and_everything_is_described(module_dir: Path) -> None:
    module = Module.load(module_dir)
    assert module.variables, f"{module_dir.name} declares no variable"
    assert problems_of(module) == []


def test_the_root_passes_what_each_module_declares_and_reads_what_it_outputs() -> None:
    root = Module.load(ROOT)
    assert set(root.calls) == {path.name for path in MODULE_DIRS}
    assert call_problems(root) == []


def test_the_checks_find_an_undeclared_variable_a_missing_input_and_a_wrong_output(
    tmp_path: Path,
) -> None:
    """The checks above, on a module and a root broken on purpose."""
    child = tmp_path / "modules" / "child"
    child.mkdir(parents=True)
    (child / "main.tf").write_text(
        'variable "size" {\n  description = "How big."\n  type = number\n}\n'
        'variable "colour" {\n  type = string\n  default = "red"\n}\n'
        'resource "null_resource" "x" {\n  triggers = { a = var.size, b = var.shape }\n}\n'
        'output "id" {\n  value = null_resource.x.id\n}\n'
    )
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(
        'module "child" {\n  source = "../modules/child"\n  colour = "blue"\n  weight = 3\n}\n'
        'output "x" {\n  description = "x"\n  value = module.child.name\n}\n'
    )
    assert problems_of(Module.load(child)) == [
        "child: var.shape is used but not declared",
        "child: variable colour is declared but never used",
        "child: variable colour has no description",
        "child: output id has no description",
    ]
    assert call_problems(Module.load(root)) == [
        "module child: weight is passed but not a variable of child",
        "module child: required variable size is not passed",
        "module.child.name is not an output of that module",
    ]


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on this machine")
def test_terraform_fmt_has_nothing_to_change() -> None:
    """Where a terraform binary happens to be installed (fmt needs no provider, no network)."""
    terraform = shutil.which("terraform")
    assert terraform is not None
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"TF_CLI_CONFIG_FILE": "/dev/null"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- what docs/ and the application ask of the estate ---------------------------------------------


def test_beat_runs_exactly_one_task_even_while_deploying() -> None:
    beat = Module.load(MODULES / "compute").resource("aws_ecs_service", "beat")
    assert beat["desired_count"] == 1
    assert beat["deployment_maximum_percent"] == 100
    assert beat["deployment_minimum_healthy_percent"] == 0
    autoscaled = {
        unquote(target["resource_id"])
        for target in resources(
            Module.load(MODULES / "compute").parsed, "aws_appautoscaling_target"
        ).values()
    }
    assert not any("beat" in resource_id for resource_id in autoscaled)


def test_one_backup_retention_for_database_pitr_noncurrent_versions_and_nightly_backups() -> None:
    root = Module.load(ROOT)
    assert root.variables["backup_retention_days"]["default"] == 35
    calls = root.calls
    assert calls["database"]["backup_retention_days"] == "${var.backup_retention_days}"
    assert calls["storage"]["noncurrent_version_days"] == "${var.backup_retention_days}"
    assert calls["compute"]["backup_keep_days"] == "${var.backup_retention_days}"
    lifecycle = Module.load(MODULES / "storage").resource(
        "aws_s3_bucket_lifecycle_configuration", "documents"
    )
    expiration = lifecycle["rule"][0]["noncurrent_version_expiration"][0]
    assert expiration["noncurrent_days"] == "${var.noncurrent_version_days}"


def test_the_database_is_multi_az_encrypted_protected_and_refuses_plain_connections() -> None:
    database = Module.load(MODULES / "database")
    primary = database.resource("aws_db_instance", "primary")
    assert primary["multi_az"] is True
    assert primary["storage_encrypted"] is True
    assert primary["deletion_protection"] is True
    assert primary["backup_retention_period"] == "${var.backup_retention_days}"
    assert "replicate_source_db" in database.resource("aws_db_instance", "replica")
    parameters = {
        unquote(p["name"]): unquote(str(p["value"]))
        for p in database.resource("aws_db_parameter_group", "this")["parameter"]
    }
    assert parameters["rds.force_ssl"] == "1"
    # Bound parameters can hold a child's name.
    assert parameters["log_parameter_max_length"] == "0"
    assert parameters["log_parameter_max_length_on_error"] == "0"
    # The owner (migrations) and the application role: two secrets.
    roles = next(block["roles"] for block in database.parsed["locals"] if "roles" in block)
    assert set(roles) == {"owner", "app"}
    assert database.resource("aws_secretsmanager_secret", "role")["for_each"] == "${local.roles}"


def test_every_setting_production_requires_reaches_the_application_tasks() -> None:
    """docs/operations.md's required settings, plus the two database roles, come from the task
    definitions' environment or secrets."""
    text = (MODULES / "compute" / "tasks.tf").read_text() + (
        MODULES / "compute" / "main.tf"
    ).read_text()
    operations = (TERRAFORM.parent / "docs" / "operations.md").read_text()
    required = re.findall(r"^\| `([A-Z_]+)`", operations, flags=re.MULTILINE)
    assert "SECRET_KEY" in required and "CLAMD_HOST" in required
    also = ["DATABASE_OWNER_URL", "CHAIN_HEADS_BUCKET", "S3_KMS_KEY_ID", "BACKUP_ROOT"]
    for setting in [*required, *also, "BACKUP_KEEP_DAYS"]:
        assert re.search(rf"\b{setting}\s*=", text), f"{setting} is not given to the tasks"


def test_the_chain_heads_bucket_is_write_once() -> None:
    storage = Module.load(MODULES / "storage")
    assert storage.resource("aws_s3_bucket", "chain_heads")["object_lock_enabled"] is True
    lock = storage.resource("aws_s3_bucket_object_lock_configuration", "chain_heads")
    retention = lock["rule"][0]["default_retention"][0]
    assert unquote(retention["mode"]) == "COMPLIANCE"
    assert retention["days"] == "${var.chain_heads_retention_days}"


def test_the_examples_use_invented_domains_only() -> None:
    for example in ROOT.glob("*.example"):
        for domain in re.findall(r"[a-z0-9.-]+\.(?:org|com|net|uk|io)\b", example.read_text()):
            assert domain.endswith(("example.org", "example.com", "amazonaws.com")), domain


# --- checkov's skips ------------------------------------------------------------------------------

SKIP_COMMENT = re.compile(r"#checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def test_every_skipped_check_says_why() -> None:
    inline = [
        (path.relative_to(TERRAFORM), match)
        for path in TF_FILES
        for match in SKIP_COMMENT.finditer(path.read_text())
    ]
    assert inline, "no inline skip found: the pattern is wrong"
    for where, match in inline:
        assert (match.group(2) or "").strip(), f"{where}: {match.group(1)} skipped without a reason"

    config_text = (TERRAFORM / ".checkov.yaml").read_text()
    config = yaml.safe_load(config_text)
    assert config["skip-download"] is True
    assert config["framework"] == ["terraform"]
    lines = config_text.splitlines()
    for check in config.get("skip-check", []):
        index = next(i for i, line in enumerate(lines) if line.strip() == f"- {check}")
        assert lines[index - 1].strip().startswith("#"), f"{check} is skipped without a reason"
