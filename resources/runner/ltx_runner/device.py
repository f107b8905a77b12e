"""Accelerator detection."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class DeviceInfo:
    """What the runner will compute on.

    ``device`` is "cuda" or "cpu"; ``vram_gb`` is the total memory of the GPU in
    GiB (None on CPU); ``cuda_found`` tells whether any CUDA device exists even
    if the user chose ``--device cpu``.
    """

    device: str
    gpu_name: str | None
    vram_gb: float | None
    torch_version: str | None
    cuda_version: str | None
    cuda_found: bool
    requested: str

    def to_dict(self) -> dict:
        """JSON-ready dict of the fields."""
        return asdict(self)


def detect_device(requested: str = "auto") -> DeviceInfo:
    """Detect the compute device for ``requested`` ("auto", "cpu" or "cuda").

    "auto" picks CUDA when a device is visible, else CPU.  "cuda" without a
    device still returns device "cuda" with ``cuda_found`` False, so the caller
    can report why local rendering is unavailable.  Raises ValueError for any
    other value.
    """
    if requested not in ("auto", "cpu", "cuda"):
        raise ValueError(f"--device must be auto, cpu or cuda, got {requested!r}")
    try:
        import torch
    except Exception:  # pragma: no cover - torch missing
        return DeviceInfo("cpu", None, None, None, None, False, requested)

    cuda_found = False
    gpu_name = None
    vram_gb = None
    try:
        cuda_found = bool(torch.cuda.is_available()) and torch.cuda.device_count() > 0
    except Exception:
        cuda_found = False
    if cuda_found:
        props = torch.cuda.get_device_properties(0)
        gpu_name = props.name
        vram_gb = round(props.total_memory / 2**30, 2)

    if requested == "cpu":
        device = "cpu"
    elif requested == "cuda":
        device = "cuda"
    else:
        device = "cuda" if cuda_found else "cpu"
    return DeviceInfo(
        device=device,
        gpu_name=gpu_name if device == "cuda" else None,
        vram_gb=vram_gb if device == "cuda" else None,
        torch_version=getattr(torch, "__version__", None),
        cuda_version=getattr(torch.version, "cuda", None),
        cuda_found=cuda_found,
        requested=requested,
    )
