"""The render farm's workflow: one take of one shot, rendered by whichever farm worker picks it up.

Kept apart from the engine so Temporal's workflow sandbox imports nothing but this module and the
SDK.  The desktop starts ``RenderTake`` by name (TypeScript SDK) with one JSON object:

    {"request": {...},        # the local runner's POST /jobs body (resources/runner/README.md),
                              # media fields holding storage references instead of paths
     "inputs": {"image_path": REF, "end_image_path": REF},
     "output": REF,           # where the finished MP4 goes
     "heartbeat_s": 20}       # a worker silent this long is taken for dead (default 20 s)

REF is ``{"kind": "folder", "path": "inputs/ab12.png"}`` (relative to each worker's --storage
folder, a shared NAS path) or ``{"kind": "url", "url": "https://..."}`` (a presigned S3 URL: GET
for inputs, PUT for the output).  Video bytes never travel inside Temporal payloads.

The workflow runs the activity ``render_take`` once; a worker that dies mid-shot stops
heartbeating and Temporal retries the activity on another worker (at most 3 attempts).  A
cancel reaches the activity at its next heartbeat and the workflow waits for it to stop.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

WORKFLOW_NAME = "RenderTake"
ACTIVITY_NAME = "render_take"
# Error types a retry on another worker cannot fix (ApplicationError.type).
NON_RETRYABLE = ["InvalidRequest", "Unavailable", "WeightsMissing"]


@workflow.defn(name=WORKFLOW_NAME)
class RenderTake:
    """Renders one take through the activity and returns its result dict (see farm.render_take)."""

    @workflow.run
    async def run(self, take: dict[str, Any]) -> dict[str, Any]:
        heartbeat = float(take.get("heartbeat_s") or 20)
        return await workflow.execute_activity(
            ACTIVITY_NAME,
            take,
            start_to_close_timeout=timedelta(hours=4),
            heartbeat_timeout=timedelta(seconds=heartbeat),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=1),
                maximum_interval=timedelta(seconds=10),
                maximum_attempts=3,
                non_retryable_error_types=NON_RETRYABLE,
            ),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            result_type=dict,
        )
