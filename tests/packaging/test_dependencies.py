"""Dependencies (docs/deploy.md, "Dependencies and lock files"): every one in pyproject.toml has
a lower and an upper bound; requirements.lock (the server's runtime set, with hashes) and
requirements-test.lock (that set plus the `test` extra) pin every one of them, exactly, at
versions within those bounds, and agree with each other. scripts/lock.sh regenerates them."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(text) for text in PROJECT["dependencies"]]
EXTRAS = {
    extra: [Requirement(text) for text in texts]
    for extra, texts in PROJECT.get("optional-dependencies", {}).items()
}
TEST = EXTRAS["test"]
RUNTIME_LOCK = ROOT / "requirements.lock"
TEST_LOCK = ROOT / "requirements-test.lock"
LOWER = {">=", ">", "==", "~=", "==="}
UPPER = {"<", "<=", "==", "~=", "==="}
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def calendar_versioned(specifier: SpecifierSet) -> bool:
    """A package whose versions are years (tzdata 2026.1): a new year is new data, not a
    breaking change, so its upper bound would only hold back new time zone rules."""
    return any(spec.operator in LOWER and Version(spec.version).major >= 2000 for spec in specifier)


def locked(path: Path) -> dict[str, tuple[Version, Requirement, list[str]]]:
    """Every pin of a lock file: name -> (version, the line as a requirement, its hashes)."""
    pins = {}
    for entry in path.read_text().replace("\\\n", " ").splitlines():
        entry = entry.split("#", 1)[0]  # a comment (hashes hold no "#")
        hashes = HASH.findall(entry)
        entry = HASH.sub("", entry).strip()
        if not entry:
            continue
        assert not entry.startswith("-"), f"{path.name}: an option, not a pin: {entry}"
        requirement = Requirement(entry)
        (pin,) = requirement.specifier
        assert pin.operator == "==" and not requirement.extras, f"{path.name}: {entry}"
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"{path.name} pins {name} twice"
        pins[name] = (Version(pin.version), requirement, hashes)
    assert pins, f"{path.name} pins nothing"
    return pins


def applies(requirement: Requirement) -> bool:
    """Whether a dependency is installed here (`uvloop; sys_platform != 'win32'`); the locks
    are for this platform and Python, the ones of CI and the Dockerfile."""
    return requirement.marker is None or requirement.marker.evaluate({"extra": ""})


@pytest.mark.parametrize(
    "requirement",
    RUNTIME + [r for requirements in EXTRAS.values() for r in requirements],
    ids=str,
)
def test_every_dependency_has_a_lower_and_an_upper_bound(requirement):
    operators = {spec.operator for spec in requirement.specifier}

    assert operators & LOWER, f"{requirement} has no lower bound"
    assert operators & UPPER or calendar_versioned(requirement.specifier), (
        f"{requirement} has no upper bound (the next major release: <N+1, or <1 for 0.x)"
    )


def test_the_runtime_lock_pins_every_runtime_dependency_within_its_bounds():
    pins = locked(RUNTIME_LOCK)
    for requirement in filter(applies, RUNTIME):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{RUNTIME_LOCK.name} does not pin {requirement}"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{RUNTIME_LOCK.name} pins {name}=={version}, outside {requirement}"
        )


def test_the_runtime_lock_has_a_hash_for_every_pin():
    """The Dockerfile installs it with --require-hashes, which refuses a pin without one."""
    for name, (_, _, hashes) in locked(RUNTIME_LOCK).items():
        assert hashes, f"{RUNTIME_LOCK.name}: {name} has no --hash"


def test_the_test_lock_pins_every_dependency_within_its_bounds():
    pins = locked(TEST_LOCK)
    for requirement in filter(applies, RUNTIME + TEST):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{TEST_LOCK.name} does not pin {requirement}"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{TEST_LOCK.name} pins {name}=={version}, outside {requirement}"
        )


def test_ci_tests_the_versions_that_ship():
    """Every package of the runtime lock is in the test lock, at the same version."""
    test_pins = locked(TEST_LOCK)
    for name, (version, _, _) in locked(RUNTIME_LOCK).items():
        assert name in test_pins, f"{TEST_LOCK.name} lacks {name}"
        assert test_pins[name][0] == version, (
            f"{name}: {version} in {RUNTIME_LOCK.name}, {test_pins[name][0]} in {TEST_LOCK.name}"
        )


# Packages that install a module of another package's name over it: urllib3-future (pulled by
# niquests, which caldav 2+ needs) writes `urllib3/`, and whichever of the two installs last
# wins, so a fresh install could break requests (and schemathesis, which the fuzz tests run).
SHADOWING = {"urllib3-future", "niquests"}


def test_no_locked_package_shadows_another():
    for path in (RUNTIME_LOCK, TEST_LOCK):
        assert SHADOWING.isdisjoint(locked(path)), path.name
