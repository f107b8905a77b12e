"""Memory policy choice and the out-of-memory fallback (pure logic)."""

import pytest
import torch

from ltx_runner import policy as mp


@pytest.mark.parametrize(
    "vram_gb, expected",
    [
        (0, "sequential-cpu-offload"),
        (6, "sequential-cpu-offload"),
        (8, "sequential-cpu-offload"),
        (12, "sequential-cpu-offload"),
        (16, "sequential-cpu-offload"),
        (23.6, "sequential-cpu-offload"),  # RTX 3090 / 4090
        (31.4, "sequential-cpu-offload"),  # RTX 5090
        (39.99, "sequential-cpu-offload"),
        (40, "model-cpu-offload"),  # A100 40GB
        (44.4, "model-cpu-offload"),  # L40S
        (47.5, "model-cpu-offload"),  # RTX 6000 Ada / A6000
        (71.9, "model-cpu-offload"),
        (72, "full"),
        (79.2, "full"),  # H100 / A100 80GB
        (139.8, "full"),  # H200
    ],
)
def test_choose_policy(vram_gb, expected):
    assert mp.choose_policy(vram_gb) == expected


def test_choose_policy_is_monotonic():
    order = {p: i for i, p in enumerate(mp.POLICIES)}
    sizes = [x / 4 for x in range(0, 4 * 160)]
    ranks = [order[mp.choose_policy(s)] for s in sizes]
    assert ranks == sorted(ranks, reverse=True)


@pytest.mark.parametrize("bad", [-1, float("nan"), "lots", None])
def test_choose_policy_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        mp.choose_policy(bad)


def test_vae_tiling_only_for_small_tier():
    assert mp.uses_vae_tiling("sequential-cpu-offload")
    assert not mp.uses_vae_tiling("model-cpu-offload")
    assert not mp.uses_vae_tiling("full")


def test_next_policy():
    assert mp.next_policy("full") == "model-cpu-offload"
    assert mp.next_policy("model-cpu-offload") == "sequential-cpu-offload"
    assert mp.next_policy("sequential-cpu-offload") is None
    with pytest.raises(ValueError):
        mp.next_policy("bogus")


def test_is_oom_error():
    assert mp.is_oom_error(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert mp.is_oom_error(RuntimeError("CUDA error: out of memory"))
    assert not mp.is_oom_error(RuntimeError("shape mismatch"))
    assert not mp.is_oom_error(ValueError("out of memory"))  # only runtime errors count


def _oom():
    return torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")


def test_fallback_not_needed():
    calls = []
    result, used, tried = mp.run_with_oom_fallback("full", lambda p: calls.append(p) or "ok")
    assert (result, used, tried, calls) == ("ok", "full", ["full"], ["full"])


def test_fallback_retries_once_with_next_policy():
    calls, prepared = [], []

    def attempt(p):
        calls.append(p)
        if p == "full":
            raise _oom()
        return "video"

    result, used, tried = mp.run_with_oom_fallback("full", attempt, prepare=prepared.append)
    assert result == "video"
    assert used == "model-cpu-offload"
    assert tried == ["full", "model-cpu-offload"]
    assert prepared == ["model-cpu-offload"]
    assert calls == ["full", "model-cpu-offload"]


def test_fallback_fails_after_one_retry_and_says_what_was_tried():
    calls = []

    def attempt(p):
        calls.append(p)
        raise _oom()

    with pytest.raises(mp.OutOfMemoryAfterFallback) as info:
        mp.run_with_oom_fallback("full", attempt)
    assert calls == ["full", "model-cpu-offload"]  # once, not all the way down
    assert info.value.tried == ["full", "model-cpu-offload"]
    msg = str(info.value)
    assert "full" in msg and "model-cpu-offload" in msg and "out of GPU memory" in msg


def test_fallback_from_last_policy_has_nowhere_to_go():
    with pytest.raises(mp.OutOfMemoryAfterFallback) as info:
        mp.run_with_oom_fallback("sequential-cpu-offload", lambda p: (_ for _ in ()).throw(_oom()))
    assert info.value.tried == ["sequential-cpu-offload"]
    assert "no smaller memory policy" in str(info.value)


def test_other_errors_are_not_retried():
    calls = []

    def attempt(p):
        calls.append(p)
        raise ValueError("bad prompt")

    with pytest.raises(ValueError, match="bad prompt"):
        mp.run_with_oom_fallback("full", attempt)
    assert calls == ["full"]
