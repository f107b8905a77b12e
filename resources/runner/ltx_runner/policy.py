"""GPU memory policy: how much of the LTX-2 pipeline stays resident in VRAM.

Three policies, from fastest to most frugal:

``full``
    every component is moved to the GPU once and stays there.
``model-cpu-offload``
    diffusers' ``enable_model_cpu_offload``: components live in CPU RAM and one
    whole component (text encoder, connectors, transformer, VAE, ...) is moved
    to the GPU while it runs.
``sequential-cpu-offload``
    diffusers' ``enable_sequential_cpu_offload``: weights are streamed to the
    GPU layer by layer; plus VAE tiling so the video decode fits.  Slow, needs
    a lot of CPU RAM (the whole bf16 pipeline, roughly 64 GB), but runs on
    small cards.

Thresholds (GiB as reported by ``torch.cuda.get_device_properties().total_memory / 2**30``)
and where they come from (shared/notes/local-runner-facts.md, "Memory and speed"):

* bf16 sizes of the LTX-2 components as diffusers loads them: the audio/video
  transformer has 18.9B parameters in its published configuration (counted by
  building it on the meta device, see gpu_check.py), about 35.2 GiB; the
  Gemma 3 12B text encoder about 22.7 GiB; connectors + video VAE + audio VAE +
  vocoder a few GiB.
* ``full`` needs all of that resident (~61 GiB) plus activations and the VAE
  decode at 768x512x121 (several GiB): ``FULL_MIN_VRAM_GB = 72`` -- an 80 GB
  H100/A100 qualifies, a 48 GB card does not.
* ``model-cpu-offload`` needs the largest single component (the transformer,
  ~35.2 GiB) plus activations: ``MODEL_OFFLOAD_MIN_VRAM_GB = 40`` -- 48 GB cards
  (RTX 6000 Ada, L40S, A6000) qualify; 24/32 GB cards do not.
* Below that, sequential offload with VAE tiling.  The notes report that a
  24 GB RTX 3090 runs out of memory by default and needs full offload
  (ComfyUI issue 12047), and that Lightricks' ltx-pipelines runs in about 5 GB
  of VRAM with CPU offload: ``MIN_VRAM_GB = 6`` is the floor under which the
  runner reports local rendering as unavailable.
  (LTX Desktop refuses below ~15 GB, but it keeps an fp8 transformer; the
  diffusers bf16 path streams weights instead.)

On a CUDA out-of-memory error the runner retries the job once with the next
policy down (see ``run_with_oom_fallback``) and keeps that lower policy for
later jobs.
"""

from __future__ import annotations

from typing import Callable, TypeVar

FULL = "full"
MODEL_CPU_OFFLOAD = "model-cpu-offload"
SEQUENTIAL_CPU_OFFLOAD = "sequential-cpu-offload"

#: Policies ordered from the most VRAM-hungry (fastest) to the most frugal.
POLICIES: tuple[str, ...] = (FULL, MODEL_CPU_OFFLOAD, SEQUENTIAL_CPU_OFFLOAD)

FULL_MIN_VRAM_GB = 72.0
MODEL_OFFLOAD_MIN_VRAM_GB = 40.0
MIN_VRAM_GB = 6.0

T = TypeVar("T")


def choose_policy(vram_gb: float) -> str:
    """Pick the memory policy for a GPU with ``vram_gb`` GiB of total memory.

    Returns ``"full"``, ``"model-cpu-offload"`` or ``"sequential-cpu-offload"``
    (the last one also means VAE tiling, see ``uses_vae_tiling``).  Pure
    function; thresholds are the module constants documented above.  Raises
    ValueError for a negative or non-numeric size.
    """
    try:
        v = float(vram_gb)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"vram_gb must be a number, got {vram_gb!r}") from exc
    if v != v or v < 0:  # NaN or negative
        raise ValueError(f"vram_gb must be a non-negative number, got {vram_gb!r}")
    if v >= FULL_MIN_VRAM_GB:
        return FULL
    if v >= MODEL_OFFLOAD_MIN_VRAM_GB:
        return MODEL_CPU_OFFLOAD
    return SEQUENTIAL_CPU_OFFLOAD


def uses_vae_tiling(policy: str) -> bool:
    """True when ``policy`` also enables VAE tiling (the small-VRAM tier)."""
    return policy == SEQUENTIAL_CPU_OFFLOAD


def next_policy(policy: str) -> str | None:
    """The next, more frugal policy after ``policy``, or None if it is already the last.

    Raises ValueError for an unknown policy name.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown memory policy {policy!r}; expected one of {', '.join(POLICIES)}")
    i = POLICIES.index(policy)
    return POLICIES[i + 1] if i + 1 < len(POLICIES) else None


def is_oom_error(exc: BaseException) -> bool:
    """True when ``exc`` is a CUDA (or other accelerator) out-of-memory error."""
    try:
        import torch

        oom_types: tuple[type, ...] = tuple(
            t for t in (getattr(torch, "OutOfMemoryError", None), getattr(torch.cuda, "OutOfMemoryError", None)) if t
        )
    except Exception:  # pragma: no cover - torch missing
        oom_types = ()
    if oom_types and isinstance(exc, oom_types):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


class OutOfMemoryAfterFallback(RuntimeError):
    """Raised when a job ran out of GPU memory under every policy that was tried.

    ``tried`` lists the policies in the order they were attempted.
    """

    def __init__(self, tried: list[str], last_error: BaseException):
        self.tried = list(tried)
        self.last_error = last_error
        tried_txt = ", then ".join(tried)
        hint = (
            "no smaller memory policy is left; try a smaller size or duration"
            if next_policy(tried[-1]) is None
            else "the runner retries only once per job"
        )
        super().__init__(
            f"out of GPU memory with memory policy {tried_txt} ({hint}); last error: {str(last_error)[:300]}"
        )


def run_with_oom_fallback(
    start_policy: str,
    attempt: Callable[[str], T],
    prepare: Callable[[str], None] | None = None,
    is_oom: Callable[[BaseException], bool] = is_oom_error,
) -> tuple[T, str, list[str]]:
    """Run ``attempt(policy)``; on out-of-memory retry once with the next policy down.

    ``prepare(policy)`` (optional) is called before the retry to switch the
    pipeline to the lower policy (and free the cache).  Returns
    ``(result, policy_used, tried_policies)``.  Raises
    ``OutOfMemoryAfterFallback`` when the retry also runs out of memory or no
    lower policy exists; any other exception propagates unchanged.
    """
    if start_policy not in POLICIES:
        raise ValueError(f"unknown memory policy {start_policy!r}")
    tried = [start_policy]
    try:
        return attempt(start_policy), start_policy, tried
    except BaseException as exc:  # noqa: BLE001 - filtered below
        if not is_oom(exc):
            raise
        lower = next_policy(start_policy)
        if lower is None:
            raise OutOfMemoryAfterFallback(tried, exc) from exc
        # Keep no reference to the exception: its traceback holds the frames of the failed
        # call and with them the GPU tensors the retry needs freed.
    tried.append(lower)
    if prepare is not None:
        prepare(lower)
    try:
        return attempt(lower), lower, tried
    except BaseException as exc:  # noqa: BLE001
        if is_oom(exc):
            raise OutOfMemoryAfterFallback(tried, exc) from None
        raise
