"""Podman for the container test: a local Debian base image and a bounded ``podman`` call.

Container registries cannot be reached from CI, Debian's mirrors can: the base image the
Dockerfile names in ``FROM`` is made here with ``debootstrap --variant=minbase trixie``,
trimmed the way Debian's ``-slim`` images are, and imported under that very name. An
image already imported on this machine is reused; a fresh machine builds it (about a minute).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Podman's fully qualified name for Docker Hub's debian:trixie-slim, which the Dockerfile uses.
BASE_IMAGE = "docker.io/library/debian:trixie-slim"
MIRROR = os.environ.get("GUESTLIST_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# crun fails on these machines' cgroup layout; runc works.
GLOBAL_OPTIONS = ("--runtime", "runc", "--cgroup-manager", "cgroupfs")
RUN_LIMITS = ("--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768")
# What Debian's slim images leave out (their /etc/dpkg/dpkg.cfg.d/docker): docs, man pages, locales.
SLIM_DPKG_CONFIG = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
"""


def base_image_from_dockerfile() -> str:
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.upper().startswith("FROM "):
            name = line.split()[1]
            return name if "/" in name else f"docker.io/library/{name}"
    raise AssertionError("the Dockerfile has no FROM line")


def podman(
    *args: str, timeout: float, check: bool = True, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *GLOBAL_OPTIONS, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
        input=input,
    )


def ensure_base_image(name: str = BASE_IMAGE) -> str:
    """Import a debootstrapped Debian trixie as ``name`` unless this machine has it already."""
    if podman("image", "exists", name, timeout=60, check=False).returncode == 0:
        return "reused"
    with tempfile.TemporaryDirectory(prefix="guestlist-rootfs-") as scratch:
        rootfs = Path(scratch) / "rootfs"
        subprocess.run(
            ["debootstrap", "--variant=minbase", "trixie", str(rootfs), MIRROR],
            check=True,
            capture_output=True,
            timeout=900,
        )
        (rootfs / "etc/dpkg/dpkg.cfg.d/docker").write_text(SLIM_DPKG_CONFIG)
        for leftover in (
            "var/cache/apt/archives",
            "var/lib/apt/lists",
            "usr/share/doc",
            "usr/share/man",
            "usr/share/locale",
            "usr/share/info",
        ):
            target = rootfs / leftover
            if target.is_dir():
                for child in target.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child)
                    elif child.name != "lock":
                        child.unlink()
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)
        try:
            subprocess.run(
                ["podman", *GLOBAL_OPTIONS, "import", "--change", 'CMD ["bash"]', "-", name],
                stdin=tar.stdout,
                check=True,
                capture_output=True,
                timeout=600,
            )
        finally:
            if tar.stdout is not None:
                tar.stdout.close()
            tar.wait(60)
    return "built"
